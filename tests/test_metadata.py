"""submission.toml: reading, validation problems, links, folder names (benchmark.submissions.metadata)."""

import datetime as dt

import pytest

from benchmark.core.errors import SubmissionInvalid, format_problems
from benchmark.submissions.metadata import MAX_DESCRIPTION, MAX_NAME, Link, SubmissionMeta, folder_name, parse_metadata, read_metadata
from benchmark.core.naming import slug

GOOD = """\
# Knee Lab's entry
task = "mrnet"
team = "Knee Lab"
model = "ResNet-3D v2"
authors = ["A. Researcher", "B. Engineer"]
description = \"\"\"3D ResNet-18 on the sagittal T2 series.
Five-fold ensemble.\"\"\"
date = 2024-06-01
external_data = false
format = "canonical"

[[links]]
title = "Code"
url = "https://github.com/example/knee-lab"

[[links]]
title = "Paper"
url = "http://example.org/paper.pdf"
"""


def write(tmp_path, text, name="submission.toml"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def problems(tmp_path, text):
    p = write(tmp_path, text)
    with pytest.raises(SubmissionInvalid) as info:
        read_metadata(p)
    for q in info.value.problems:
        assert q.file == str(p) and q.code and q.message and q.fix
    return info.value.problems


def by_code(probs, code):
    out = [p for p in probs if p.code == code]
    assert out, format_problems(probs, 100)
    return out


def test_valid_file(tmp_path):
    m = read_metadata(write(tmp_path, GOOD))
    assert isinstance(m, SubmissionMeta)
    assert (m.task, m.team, m.model, m.format, m.split) == ("mrnet", "Knee Lab", "ResNet-3D v2", "canonical", None)
    assert m.authors == ["A. Researcher", "B. Engineer"]
    assert m.date == dt.date(2024, 6, 1)
    assert m.external_data is False and m.synthetic is False and m.external_data_description == ""
    assert m.description.endswith("Five-fold ensemble.")
    assert [(link.title, link.url) for link in m.links] == [
        ("Code", "https://github.com/example/knee-lab"),
        ("Paper", "http://example.org/paper.pdf"),
    ]
    assert m.folder == "knee-lab__resnet-3d-v2"


def test_date_as_string_and_bom_are_accepted(tmp_path):
    text = "\ufeff" + GOOD.replace("date = 2024-06-01", 'date = "2024-06-01"')
    assert read_metadata(write(tmp_path, text)).date == dt.date(2024, 6, 1)


def test_toml_syntax_error_names_line(tmp_path):
    text = GOOD.replace('team = "Knee Lab"', "team = Knee Lab")
    (p,) = problems(tmp_path, text)
    assert p.code == "toml-syntax" and p.line == 3 and "Knee Lab" in p.found


def test_missing_and_unknown_fields(tmp_path):
    text = GOOD.replace('model = "ResNet-3D v2"\n', "").replace("task =", "tsak =")
    text += 'licence = "MIT"\n'
    probs = problems(tmp_path, text)
    missing = by_code(probs, "missing-field")
    assert {p.column for p in missing} == {"task", "model"}
    assert any('model = "' in p.fix for p in missing)
    unknown = {p.column: p for p in by_code(probs, "unknown-field")}
    assert unknown["tsak"].line == 2 and "did you mean 'task'" in unknown["tsak"].message
    # A key after [[links]] belongs to the last link table.
    assert "links[1].licence" in unknown


def test_unknown_link_field_has_suggestion(tmp_path):
    text = GOOD.replace('url = "https://github.com/example/knee-lab"', 'ulr = "https://github.com/x"')
    probs = problems(tmp_path, text)
    u = by_code(probs, "unknown-field")[0]
    assert u.column == "links[0].ulr" and "did you mean 'url'" in u.message and u.line == 14
    assert by_code(probs, "missing-field")[0].column == "links[0].url"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "/relative/path",
        "example.org/page",
        "ftp://example.org/x",
        "https:/example.org",
        "https://",
        "http://exa mple.org",
        "https://example.org/\u202eevil",
    ],
)
def test_only_http_links(tmp_path, url):
    text = GOOD.replace("https://github.com/example/knee-lab", url.replace("\\", "\\\\"))
    probs = problems(tmp_path, text)
    p = by_code(probs, "invalid-field")[0]
    assert p.column == "links[0].url" and p.line == 14
    assert "http" in p.message


def test_xss_like_text_is_allowed_as_text(tmp_path):
    team = "<script>alert('x')</script> Lab"
    desc = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    start, end = GOOD.index("description ="), GOOD.index("date =")
    text = GOOD[:start] + f"description = '''{desc}'''\n" + GOOD[end:]
    text = text.replace('team = "Knee Lab"', f'team = "{team}"')
    m = read_metadata(write(tmp_path, text))
    assert m.team == team and m.description == desc
    assert m.folder == "script-alert-x-script-lab__resnet-3d-v2"


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("team", '"Knee\\u0000Lab"', "invalid-field"),
        ("team", '"Knee\\u001bLab"', "invalid-field"),
        ("model", '"v2\\u202e"', "invalid-field"),
        ("team", '"' + "x" * (MAX_NAME + 1) + '"', "invalid-field"),
        ("team", '"   "', "invalid-field"),
        ("team", '"東京"', "invalid-field"),  # no ASCII letter or digit: no folder name
        ("team", "123", "invalid-field"),
        ("task", '"MRNet"', "invalid-field"),
        ("date", '"June 2024"', "invalid-field"),
        ("date", "2024-06-01T10:00:00", "invalid-field"),
        ("date", "20240601", "invalid-field"),
        ("external_data", '"no"', "invalid-field"),
        ("authors", "[]", "invalid-field"),
        ("authors", '["ok", "bad\\nname"]', "invalid-field"),
        ("authors", '"A. Researcher"', "invalid-field"),
    ],
)
def test_invalid_values(tmp_path, field, value, code):
    lines = GOOD.splitlines()
    idx = next(i for i, ln in enumerate(lines) if ln.startswith(f"{field} ="))
    lines[idx] = f"{field} = {value}"
    probs = problems(tmp_path, "\n".join(lines) + "\n")
    p = by_code(probs, code)[0]
    assert p.column.split("[")[0] == field and p.line == idx + 1, format_problems(probs)


def test_description_limits(tmp_path):
    ok = GOOD.replace("Five-fold ensemble.", "tab\there " + "y" * 100)
    assert read_metadata(write(tmp_path, ok)).description.startswith("3D")
    long = GOOD.replace("Five-fold ensemble.", "y" * MAX_DESCRIPTION)
    p = by_code(problems(tmp_path, long), "invalid-field")[0]
    assert p.column == "description" and str(MAX_DESCRIPTION) in p.message


def test_external_data_needs_a_description(tmp_path):
    text = GOOD.replace("external_data = false", "external_data = true")
    p = by_code(problems(tmp_path, text), "invalid-field")[0]
    assert p.column == "external_data_description"
    text += 'external_data_description = "ImageNet-pretrained weights"\n'
    text = text.replace("external_data = true\n", "external_data = true\n" +
                        'external_data_description = "ImageNet-pretrained weights"\n')
    text = text.rsplit('external_data_description = "ImageNet-pretrained weights"\n', 1)[0]
    assert read_metadata(write(tmp_path, text)).external_data is True


def test_all_problems_are_reported_together(tmp_path):
    text = GOOD.replace('team = "Knee Lab"', 'team = ""').replace(
        "https://github.com/example/knee-lab", "javascript:void(0)").replace(
        "date = 2024-06-01", 'date = "yesterday"')
    probs = problems(tmp_path, text)
    assert sorted(p.column for p in probs) == ["date", "links[0].url", "team"]


def test_file_problems(tmp_path):
    with pytest.raises(SubmissionInvalid) as info:
        read_metadata(tmp_path / "missing.toml")
    assert info.value.problems[0].code == "file-not-found"
    p = write(tmp_path, GOOD.replace('team = "Knee Lab"', 'team = "Kn\xe9e Lab"').encode("latin-1"))
    with pytest.raises(SubmissionInvalid) as info:
        read_metadata(p)
    q = info.value.problems[0]
    assert q.code == "not-utf8" and q.line == 3
    big = write(tmp_path, "# " + "x" * (1 << 20) + "\n" + GOOD, "big.toml")
    with pytest.raises(SubmissionInvalid) as info:
        read_metadata(big)
    assert info.value.problems[0].code == "file-too-large"


def test_link_model_directly():
    assert Link(title="x", url="HTTPS://Example.org").url == "HTTPS://Example.org"
    with pytest.raises(ValueError):
        Link(title="x", url="javascript:alert(1)")


def test_parse_metadata_from_text():
    assert parse_metadata(GOOD).team == "Knee Lab"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Knee Lab", "knee-lab"),
        ("  ACME  AI!", "acme-ai"),
        ("ResNet-3D v2", "resnet-3d-v2"),
        ("a__b", "a-b"),
        ("Équipe 3", "quipe-3"),
        ("--x--", "x"),
        ("<script>", "script"),
        ("東京", ""),
    ],
)
def test_slug(text, expected):
    out = slug(text)
    assert out == expected
    assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in out)


def test_folder_name():
    assert folder_name("Knee Lab", "ResNet-3D v2") == "knee-lab__resnet-3d-v2"
    with pytest.raises(ValueError, match="team"):
        folder_name("東京", "m")
    with pytest.raises(ValueError, match="model"):
        folder_name("t", "!!!")
