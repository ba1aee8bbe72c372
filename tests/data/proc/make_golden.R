#!/usr/bin/env Rscript
# Golden values for tests/test_bootstrap.py, computed with pROC
# (Robin et al. 2011, BMC Bioinformatics 12:77, doi:10.1186/1471-2105-12-77).
#
# Usage (from the repository root):
#     Rscript tests/data/proc/make_golden.R
#
# Writes the input datasets (dataset_<name>.csv: columns y,a,b) and golden.csv
# (columns dataset,quantity,value; numbers printed with sprintf("%.17g")).
# Every dataset except "rnorm200" is a closed-form function of the row index, so
# it can be re-derived without R; "rnorm200" uses R's default RNG with a fixed
# seed and is recorded as CSV.  The tests read only the CSV files.
suppressPackageStartupMessages(library(pROC))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
outdir <- if (length(script) == 1) dirname(normalizePath(script)) else "."

datasets <- list()

# 30 cases, 12 positives, scores on a coarse grid: many ties within and across classes.
i <- 0:29
y <- as.integer((i * 7) %% 10 < 4)
datasets$ties30 <- data.frame(
  y = y,
  a = round(((i * 37) %% 17) / 16 + 0.3 * y, 1),
  b = ((i * 13) %% 5) / 4 + 0.25 * y
)

# 120 cases, 54 positives (prevalence 0.45, as in the MRNet-like setting).
i <- 0:119
y <- as.integer((i * 11) %% 20 < 9)
datasets$formula120 <- data.frame(
  y = y,
  a = round(sin(i) + 1.0 * y, 3),
  b = round(cos(3 * i) + 0.6 * y, 1)
)

# 40 cases, near-perfect separation: the upper DeLong limit is clipped to 1.
i <- 0:39
y <- as.integer(i %% 2 == 0)
datasets$nearperfect40 <- data.frame(
  y = y,
  a = round(((i * 5) %% 7) / 6 + 0.9 * y, 2),
  b = round(((i * 3) %% 11) / 10 + 0.5 * y, 2)
)

# 200 cases, 90 positives, correlated scores (R's Mersenne-Twister, seed 2024).
set.seed(2024)
y <- rep(c(0L, 1L), c(110, 90))
a <- rnorm(200) + 1.2 * y
b <- 0.7 * a + rnorm(200, sd = 0.7) + 0.3 * y
datasets$rnorm200 <- data.frame(y = y, a = round(a, 2), b = round(b, 2))

rows <- list()
add <- function(ds, q, v) {
  rows[[length(rows) + 1]] <<- sprintf("%s,%s,%.17g", ds, q, v)
}

for (name in names(datasets)) {
  d <- datasets[[name]]
  write.csv(d, file.path(outdir, sprintf("dataset_%s.csv", name)),
            row.names = FALSE, quote = FALSE)
  rocs <- list()
  for (col in c("a", "b")) {
    r <- roc(response = d$y, predictor = d[[col]], levels = c(0, 1),
             direction = "<", quiet = TRUE)
    rocs[[col]] <- r
    ci <- ci.auc(r, conf.level = 0.95, method = "delong")
    add(name, sprintf("auc_%s", col), as.numeric(auc(r)))
    add(name, sprintf("var_%s", col), var(r, method = "delong"))
    add(name, sprintf("ci_low_%s", col), ci[1])
    add(name, sprintf("ci_high_%s", col), ci[3])
    ci90 <- ci.auc(r, conf.level = 0.90, method = "delong")
    add(name, sprintf("ci90_low_%s", col), ci90[1])
    add(name, sprintf("ci90_high_%s", col), ci90[3])
  }
  t <- roc.test(rocs$a, rocs$b, method = "delong", paired = TRUE,
                alternative = "two.sided", conf.level = 0.95)
  add(name, "test_z", t$statistic)
  add(name, "test_p", t$p.value)
  add(name, "test_diff", rocs$a$auc - rocs$b$auc)
  add(name, "test_ci_low", t$conf.int[1])
  add(name, "test_ci_high", t$conf.int[2])
  add(name, "cov_ab", cov(rocs$a, rocs$b, method = "delong"))
}

# Stratified bootstrap percentile interval (pROC's default bootstrap: cases and
# controls resampled separately, quantile type 7).
boot_n <- 10000
set.seed(7)
d <- datasets$formula120
r <- roc(response = d$y, predictor = d$a, levels = c(0, 1), direction = "<", quiet = TRUE)
bci <- ci.auc(r, conf.level = 0.95, method = "bootstrap", boot.n = boot_n,
              boot.stratified = TRUE, progress = "none")
add("formula120", "boot_n", boot_n)
add("formula120", "boot_ci_low_a", bci[1])
add("formula120", "boot_ci_median_a", bci[2])
add("formula120", "boot_ci_high_a", bci[3])

out <- file.path(outdir, "golden.csv")
writeLines(c(sprintf("# pROC %s, %s", as.character(packageVersion("pROC")), R.version.string),
             "dataset,quantity,value", unlist(rows)), out)
cat("wrote", out, "\n")
