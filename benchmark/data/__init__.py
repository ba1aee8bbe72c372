"""Task data: what may be shown of the hidden labels (disclosure)."""
