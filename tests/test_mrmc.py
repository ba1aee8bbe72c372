"""MRMC analysis: the published OR-DBM MRMC output for the Van Dyke data, hand computations,
properties, reads-file validation and the command line.

Every expected figure of the Van Dyke tests is quoted, as printed, from the OR-DBM MRMC 2.51
output for these data ("VanDyke trap area jackknife anova", RJafroc repository
``inst/IowaResults/VanDyke.txt``; the treatment-1-only run ``inst/IowaResults/VanDyke1T.txt``).
A printed figure is reproduced when the computed value rounds to it.
"""

import json
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats
from sklearn.metrics import roc_auc_score

from benchmark.cli.main import main
from benchmark.stats.mrmc import fom_jackknife, jackknife_covariance, model_vs_readers, mrmc_analysis, or_analysis
from benchmark.stats.mrmc_io import MRMCData, ReadsInvalid, read_mrmc_file

VANDYKE = "tests/data/mrmc/vandyke1993.csv"


def printed(value, text: str) -> None:
    """``value`` rounds to the printed ``text`` (a half-unit of the last digit, plus float slack)."""
    d = Decimal(text)
    half = Decimal(1).scaleb(d.as_tuple().exponent) / 2
    assert value is not None
    assert abs(Decimal(repr(float(value))) - d) <= half + Decimal("1e-12"), (value, text)


@pytest.fixture(scope="module")
def vd(root):
    return mrmc_analysis(read_mrmc_file(root / VANDYKE))


@pytest.fixture(scope="module")
def vd_data(root):
    return read_mrmc_file(root / VANDYKE)


# --------------------------------------------------------------------------------------------
# Van Dyke: estimates, ANOVA, variance components
# --------------------------------------------------------------------------------------------
READER_AUCS = {  # TREATMENT x READER AUC ESTIMATES
    "0": ["0.91964573", "0.85877617", "0.90386473", "0.97310789", "0.82979066"],
    "1": ["0.94782609", "0.90531401", "0.92173913", "0.99935588", "0.92995169"],
}


def test_vandyke_design(vd):
    assert vd["modalities"] == ["0", "1"] and vd["readers"] == ["0", "1", "2", "3", "4"]
    assert vd["n_cases"] == 114 and vd["n_positive"] == 45  # "114 cases (69 normal, 45 abnormal)"
    assert vd["fom"] == "auc"


def test_vandyke_reader_aucs_and_means(vd):
    for m, aucs in READER_AUCS.items():
        for j, text in enumerate(aucs):
            printed(vd["fom_by_modality_reader"][m][str(j)], text)
    printed(vd["modality_means"]["0"], "0.89703704")
    printed(vd["modality_means"]["1"], "0.94083736")
    printed(vd["modality_means"]["0"] - vd["modality_means"]["1"], "-0.04380032")


def test_vandyke_anova(vd):
    a = vd["anova"]
    printed(a["ss"]["T"], "0.00479617")
    printed(a["ss"]["R"], "0.01534480")
    printed(a["ss"]["TR"], "0.00220412")
    assert a["df"] == {"T": 1, "R": 4, "TR": 4}
    printed(a["ms"]["T"], "0.00479617")
    printed(a["ms"]["R"], "0.00383620")
    printed(a["ms"]["TR"], "0.00055103")
    printed(vd["ms_r_by_modality"]["0"], "0.00308263")
    printed(vd["ms_r_by_modality"]["1"], "0.00130460")


def test_vandyke_or_components(vd):
    c = vd["variance_components"]["or"]
    printed(c["var_r"], "0.00153500")
    printed(c["var_tr"], "0.00020040")
    printed(c["cov1"], "0.00034661")
    printed(c["corr1"], "0.43203138")
    printed(c["cov2"], "0.00034407")
    printed(c["corr2"], "0.42886683")
    printed(c["cov3"], "0.00023903")
    printed(c["corr3"], "0.29793328")
    printed(c["var_error"], "0.00080229")


def test_vandyke_dbm_components(vd):
    c = vd["variance_components"]["dbm"]
    printed(c["var_r"], "0.00153500")
    printed(c["var_c"], "0.02724923")
    printed(c["var_tr"], "0.00020040")
    printed(c["var_tc"], "0.01197530")
    printed(c["var_rc"], "0.01226473")
    printed(c["var_trc_error"], "0.03997160")


# --------------------------------------------------------------------------------------------
# Van Dyke analysis 1: random readers and random cases
# --------------------------------------------------------------------------------------------
def test_vandyke_rrrc_global(vd):
    a = vd["analyses"]["RRRC"]
    assert a["df1"] == 1
    printed(a["f"], "4.46")
    printed(a["p"], "0.0517")
    printed(a["ddf"], "15.26")
    assert round(a["ddf"]) == 15  # "F(1,15) = 4.46"
    printed(a["ms_den"], "0.00107626")


def test_vandyke_rrrc_difference(vd):
    (d,) = vd["analyses"]["RRRC"]["differences"]
    assert (d["a"], d["b"]) == ("0", "1")
    printed(d["estimate"], "-0.04380")
    printed(d["se"], "0.02075")
    printed(d["df"], "15.26")
    printed(d["t"], "-2.11")
    printed(d["p"], "0.0517")
    printed(d["ci"][0], "-0.08796")
    printed(d["ci"][1], "0.00036")


def test_vandyke_rrrc_single(vd):
    s = vd["analyses"]["RRRC"]["single"]
    for m, (auc, se, df, lo, hi, cov2) in {
        "0": ("0.89703704", "0.03317360", "12.74", "0.82522360", "0.96885048", "0.00048396"),
        "1": ("0.94083736", "0.02156637", "12.71", "0.89413783", "0.98753689", "0.00020419"),
    }.items():
        printed(s[m]["estimate"], auc)
        printed(s[m]["se"], se)
        printed(s[m]["df"], df)
        printed(s[m]["ci"][0], lo)
        printed(s[m]["ci"][1], hi)
        printed(s[m]["cov2"], cov2)


# --------------------------------------------------------------------------------------------
# Van Dyke analysis 2: fixed readers, random cases
# --------------------------------------------------------------------------------------------
def test_vandyke_frrc_global_and_difference(vd):
    a = vd["analyses"]["FRRC"]
    printed(a["chi2"], "5.47595")
    assert a["df1"] == 1 and "ddf" not in a
    printed(a["p"], "0.0193")
    (d,) = a["differences"]
    printed(d["estimate"], "-0.04380")
    printed(d["se"], "0.01872")
    printed(d["z"], "-2.34")
    printed(d["p"], "0.0193")
    printed(d["ci"][0], "-0.08049")
    printed(d["ci"][1], "-0.00711")
    assert d["df"] is None


def test_vandyke_frrc_single(vd):
    s = vd["analyses"]["FRRC"]["single"]
    for m, (auc, se, lo, hi, var, cov2) in {
        "0": ("0.89703704", "0.02428971", "0.84943008", "0.94464399", "0.00101410", "0.00048396"),
        "1": ("0.94083736", "0.01677632", "0.90795637", "0.97371835", "0.00059047", "0.00020419"),
    }.items():
        printed(s[m]["estimate"], auc)
        printed(s[m]["se"], se)
        printed(s[m]["ci"][0], lo)
        printed(s[m]["ci"][1], hi)
        printed(s[m]["var_error"], var)
        printed(s[m]["cov2"], cov2)


def test_vandyke_frrc_single_reader(vd):
    rows = vd["analyses"]["FRRC"]["by_reader"]
    published = [  # Difference, StdErr, z, Pr>|z|, CI, Var(Error), Cov1
        ("-0.02818", "0.02551", "-1.10", "0.2693", "-0.07818", "0.02182", "0.00069890", "0.00037347"),
        ("-0.04654", "0.02630", "-1.77", "0.0768", "-0.09809", "0.00501", "0.00110605", "0.00076016"),
        ("-0.01787", "0.03121", "-0.57", "0.5668", "-0.07904", "0.04330", "0.00084234", "0.00035532"),
        ("-0.02625", "0.01729", "-1.52", "0.1290", "-0.06014", "0.00764", "0.00015058", "0.00000108"),
        ("-0.10016", "0.04406", "-2.27", "0.0230", "-0.18651", "-0.01381", "0.00121357", "0.00024304"),
    ]
    assert [r["reader"] for r in rows] == ["0", "1", "2", "3", "4"]
    for r, (est, se, z, p, lo, hi, var, cov1) in zip(rows, published):
        printed(r["estimate"], est)
        printed(r["se"], se)
        printed(r["z"], z)
        printed(r["p"], p)
        printed(r["ci"][0], lo)
        printed(r["ci"][1], hi)
        printed(r["var_error"], var)
        printed(r["cov1"], cov1)


# --------------------------------------------------------------------------------------------
# Van Dyke analysis 3: random readers, fixed cases
# --------------------------------------------------------------------------------------------
def test_vandyke_rrfc(vd):
    a = vd["analyses"]["RRFC"]
    printed(a["f"], "8.70")
    printed(a["p"], "0.0420")
    assert (a["df1"], a["ddf"]) == (1, 4)
    printed(a["ms_den"], "0.00055103")
    (d,) = a["differences"]
    printed(d["estimate"], "-0.04380")
    printed(d["se"], "0.01485")
    assert d["df"] == 4
    printed(d["t"], "-2.95")
    printed(d["p"], "0.0420")
    printed(d["ci"][0], "-0.08502")
    printed(d["ci"][1], "-0.00258")
    for m, (auc, ms_r, se, lo, hi) in {
        "0": ("0.89703704", "0.00308263", "0.02482994", "0.82809808", "0.96597599"),
        "1": ("0.94083736", "0.00130460", "0.01615303", "0.89598936", "0.98568536"),
    }.items():
        s = a["single"][m]
        printed(s["estimate"], auc)
        printed(s["ms_r"], ms_r)
        printed(s["se"], se)
        assert s["df"] == 4
        printed(s["ci"][0], lo)
        printed(s["ci"][1], hi)


def test_vandyke_rrfc_is_the_paired_t_test(vd):
    # "If there are only 2 treatments, this is equivalent to a paired t-test applied to the AUCs"
    a = [vd["fom_by_modality_reader"][m] for m in ("0", "1")]
    res = stats.ttest_rel([a[0][r] for r in vd["readers"]], [a[1][r] for r in vd["readers"]])
    d = vd["analyses"]["RRFC"]["differences"][0]
    assert d["t"] == pytest.approx(res.statistic, rel=1e-12)
    assert d["p"] == pytest.approx(res.pvalue, rel=1e-10)


# --------------------------------------------------------------------------------------------
# Van Dyke treatment 1 alone (VanDyke1T.txt)
# --------------------------------------------------------------------------------------------
def test_vandyke_single_treatment(vd_data):
    one = MRMCData(["0"], vd_data.readers, vd_data.cases, vd_data.truth, vd_data.ratings[:1], "t1")
    res = mrmc_analysis(one)
    c = res["variance_components"]["or"]
    printed(c["cov2"], "0.00048396")
    printed(c["var_error"], "0.00101410")
    printed(c["cov2"] / c["var_error"], "0.47723151")  # the printed correlation
    printed(res["ms_r_by_modality"]["0"], "0.00308263")
    s = res["analyses"]["RRRC"]["single"]["0"]
    printed(s["se"], "0.03317360")
    printed(s["df"], "12.74")
    printed(s["ci"][0], "0.82522360")
    printed(s["ci"][1], "0.96885048")
    s = res["analyses"]["FRRC"]["single"]["0"]
    printed(s["ci"][0], "0.84943008")
    printed(s["ci"][1], "0.94464399")
    s = res["analyses"]["RRFC"]["single"]["0"]
    printed(s["se"], "0.02482994")
    printed(s["ci"][0], "0.82809808")
    printed(s["ci"][1], "0.96597599")
    assert "f" not in res["analyses"]["RRRC"] and "differences" not in res["analyses"]["RRRC"]
    # per-reader error variances of treatment 1 (analysis 2 d of VanDyke1T.txt)
    _, jack = fom_jackknife(one.ratings, one.truth)
    diag = np.diag(jackknife_covariance(jack))
    for v, text in zip(diag, ["0.00090755", "0.00132316", "0.00079859", "0.00030064", "0.00174057"]):
        printed(v, text)


# --------------------------------------------------------------------------------------------
# algorithm versus readers: independent hand computations
# --------------------------------------------------------------------------------------------
def _brute_jackknife_auc(y, s):
    return np.array([roc_auc_score(np.delete(y, k), np.delete(s, k)) for k in range(len(y))])


def test_model_vs_readers_rrfc_is_one_sample_t(vd_data):
    # reader 3 of modality 1 plays the algorithm; the other four are the panel
    one = MRMCData(["1"], vd_data.readers, vd_data.cases, vd_data.truth, vd_data.ratings[1:], "m")
    res = mrmc_analysis(one, model="3")
    y = vd_data.truth
    aucs = {r: roc_auc_score(y, vd_data.ratings[1, j]) for j, r in enumerate(vd_data.readers)}
    panel = ["0", "1", "2", "4"]
    diffs = np.array([aucs["3"] - aucs[r] for r in panel])
    tt = stats.ttest_1samp(diffs, 0.0)
    a = res["analyses"]["RRFC"]
    assert res["readers"] == panel and res["model"] == "3"
    assert res["model_fom"] == pytest.approx(aucs["3"], abs=1e-15)
    assert res["reader_mean_fom"] == pytest.approx(np.mean([aucs[r] for r in panel]), abs=1e-15)
    assert a["difference"] == pytest.approx(diffs.mean(), abs=1e-15)
    assert a["t"] == pytest.approx(tt.statistic, rel=1e-12)
    assert a["df"] == 3
    assert a["p"] == pytest.approx(tt.pvalue, rel=1e-10)
    ci = tt.confidence_interval(0.95)
    assert a["ci"] == pytest.approx([ci.low, ci.high], rel=1e-10)


def test_model_vs_readers_rrrc_by_hand(vd_data):
    # Hillis 2007 section 5.3 written out with scikit-learn AUCs and brute-force deletion
    one = MRMCData(["0"], vd_data.readers, vd_data.cases, vd_data.truth, vd_data.ratings[:1], "m")
    res = mrmc_analysis(one, model="0", level=0.9)
    y, R = vd_data.truth, vd_data.ratings[0]
    K, J = len(y), 4
    auc = np.array([roc_auc_score(y, R[j]) for j in range(5)])
    jk = np.array([_brute_jackknife_auc(y, R[j]) for j in range(5)])
    psi = auc[0] - auc[1:]
    jpsi = jk[0] - jk[1:]
    cov = np.cov(jpsi, bias=True) * (K - 1)  # (K-1)/K * sum of cross-products
    var_err = np.mean(np.diag(cov))
    cov2 = (cov.sum() - np.trace(cov)) / (J * (J - 1))
    msr = np.var(psi, ddof=1)
    den = msr + J * max(cov2, 0)
    ddf = den ** 2 / (msr ** 2 / (J - 1))
    se = np.sqrt(den / J)
    t = psi.mean() / se
    a = res["analyses"]["RRRC"]
    assert a["var_error"] == pytest.approx(var_err, rel=1e-10)
    assert a["cov2"] == pytest.approx(cov2, rel=1e-10)
    assert a["se"] == pytest.approx(se, rel=1e-10)
    assert a["df"] == pytest.approx(ddf, rel=1e-10)
    assert a["t"] == pytest.approx(t, rel=1e-10)
    assert a["p"] == pytest.approx(2 * stats.t.sf(abs(t), ddf), rel=1e-9)
    q = stats.t.ppf(0.95, ddf)
    assert a["ci"] == pytest.approx([psi.mean() - q * se, psi.mean() + q * se], rel=1e-10)


def test_model_rrrc_equals_two_treatment_analysis(vd_data):
    # RJafroc documents that replicating the algorithm's ratings as one "treatment" read by
    # every reader (the 2T-RRRC method) gives the same F, ddf and p as 1T-RRRC.
    one = MRMCData(["0"], vd_data.readers, vd_data.cases, vd_data.truth, vd_data.ratings[:1], "m")
    res = mrmc_analysis(one, model="2")["analyses"]["RRRC"]
    panel = [0, 1, 3, 4]
    two = np.stack([np.repeat(vd_data.ratings[0, 2][None], 4, axis=0), vd_data.ratings[0, panel]])
    theta, jack = fom_jackknife(two, vd_data.truth)
    out = or_analysis(theta, jack, ["model", "readers"], ["a", "b", "c", "d"])["analyses"]["RRRC"]
    assert out["f"] == pytest.approx(res["t"] ** 2, rel=1e-10)
    assert out["ddf"] == pytest.approx(res["df"], rel=1e-10)
    assert out["p"] == pytest.approx(res["p"], rel=1e-9)


def test_model_vs_readers_docstring_sign():
    out = model_vs_readers(0.9, np.zeros(3), np.array([0.8, 0.85, 0.7]), np.zeros((3, 3)))
    assert out["analyses"]["RRFC"]["difference"] == pytest.approx(0.9 - np.mean([0.8, 0.85, 0.7]))


# --------------------------------------------------------------------------------------------
# properties of the figures of merit and the jackknife
# --------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    hs.integers(2, 12),
    hs.integers(2, 12),
    hs.integers(0, 2 ** 32 - 1),
    hs.sampled_from([3, 5, 1000]),
)
def test_auc_jackknife_equals_deletion(n1, n0, seed, levels):
    rng = np.random.default_rng(seed)
    y = np.array([1] * n1 + [0] * n0)
    rng.shuffle(y)
    s = rng.integers(0, levels, size=y.size).astype(float)  # many ties with few levels
    theta, jack = fom_jackknife(s[None, None], y)
    assert theta[0, 0] == pytest.approx(roc_auc_score(y, s), abs=1e-14)
    if n1 > 1 and n0 > 1:
        assert jack[0, 0] == pytest.approx(_brute_jackknife_auc(y, s), abs=1e-14)


@settings(max_examples=40, deadline=None)
@given(hs.integers(2, 10), hs.integers(2, 10), hs.integers(0, 2 ** 32 - 1))
def test_sensitivity_specificity_jackknife(n1, n0, seed):
    rng = np.random.default_rng(seed)
    y = np.array([1] * n1 + [0] * n0)
    calls = rng.integers(0, 2, size=y.size).astype(float)
    for fom, cls, hit in (("sensitivity", 1, 1.0), ("specificity", 0, 0.0)):
        theta, jack = fom_jackknife(calls[None, None], y, fom)
        assert theta[0, 0] == pytest.approx(np.mean(calls[y == cls] == hit))
        brute = [np.mean(np.delete(calls, k)[np.delete(y, k) == cls] == hit) for k in range(y.size)]
        assert jack[0, 0] == pytest.approx(brute)


@settings(max_examples=25, deadline=None)
@given(hs.integers(0, 2 ** 32 - 1), hs.integers(2, 4), hs.integers(2, 6))
def test_or_analysis_invariant_to_reader_and_case_order(seed, T, J):
    rng = np.random.default_rng(seed)
    K = 30
    y = np.r_[np.ones(12, int), np.zeros(K - 12, int)]
    R = rng.integers(1, 6, size=(T, J, K)).astype(float) + 2 * y
    mods, rdrs = [f"m{t}" for t in range(T)], [f"r{j}" for j in range(J)]
    base = or_analysis(*fom_jackknife(R, y), mods, rdrs)["analyses"]
    pr, pc = rng.permutation(J), rng.permutation(K)
    perm = or_analysis(*fom_jackknife(R[:, pr][:, :, pc], y[pc]), mods, [rdrs[j] for j in pr])["analyses"]
    for k in ("RRRC", "FRRC", "RRFC"):
        for key in ("f", "chi2", "ddf", "p"):
            if key in base[k]:
                assert perm[k][key] == pytest.approx(base[k][key], rel=1e-9, abs=1e-15)


def test_identical_modalities_give_no_difference():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(20, int), np.zeros(25, int)]
    R = rng.normal(size=(1, 4, 45)) + y
    out = or_analysis(*fom_jackknife(np.concatenate([R, R]), y), ["a", "b"], list("wxyz"))
    assert out["analyses"]["RRRC"]["differences"][0]["estimate"] == 0
    assert out["analyses"]["RRRC"]["f"] is None  # MS(T*R) = 0 and Cov2 = Cov3: no error term
    assert out["analyses"]["RRRC"]["differences"][0]["p"] is None


# --------------------------------------------------------------------------------------------
# reads-file validation (through the command line: exit 2, message, no traceback)
# --------------------------------------------------------------------------------------------
def _write(tmp_path, text, name="reads.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _study(readers=("r1", "r2", "r3"), cases=4, modality=None, rating=lambda j, k, y: k % 3 + y):
    lines = ["reader,case,truth,rating" + (",modality" if modality else "")]
    for r in readers:
        for k in range(cases):
            y = int(k >= cases // 2)
            lines.append(f"{r},c{k},{y},{rating(r, k, y)}" + (f",{modality}" if modality else ""))
    return "\n".join(lines) + "\n"


def _fails(capsys, args, *needles):
    code = main(["readers", "mrmc", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)
    return err


def test_validation_missing_read(tmp_path, capsys):
    text = _study().replace("r2,c1,0,1\n", "")
    _fails(capsys, [_write(tmp_path, text)], "reader 'r2' did not read 1 of the 4 cases: 'c1'", "missing")


def test_validation_reader_without_positive(tmp_path, capsys):
    text = "".join(l + "\n" for l in _study().splitlines() if not l.startswith(("r3,c2", "r3,c3")))
    _fails(capsys, [_write(tmp_path, text)], "reader 'r3' read no positive case")


def test_validation_duplicate_row(tmp_path, capsys):
    text = _study() + "r1,c0,0,2\n"
    _fails(capsys, [_write(tmp_path, text)], ":14:", "duplicate read of case 'c0' by reader 'r1'", "first on line 2")


def test_validation_non_numeric_and_non_finite_rating(tmp_path, capsys):
    text = _study().replace("r1,c0,0,0", "r1,c0,0,high").replace("r2,c0,0,0", "r2,c0,0,nan")
    _fails(capsys, [_write(tmp_path, text)], ":2: column rating", ":6: column rating", "'high'", "'nan'")


def test_validation_truth(tmp_path, capsys):
    text = _study().replace("r1,c0,0,0", "r1,c0,yes,0").replace("r2,c1,0,1", "r2,c1,1,1")
    _fails(capsys, [_write(tmp_path, text)], ":2: column truth: truth must be 0 or 1",
           ":7: column truth: case 'c1' has truth 0 on line 3")


def test_validation_model_absent_and_several_modalities(tmp_path, capsys):
    text = _study(modality="A") + "".join(l + "\n" for l in _study(modality="B").splitlines()[1:])
    _fails(capsys, [_write(tmp_path, text), "--model", "r4"], "--model 'r4' is not a reader",
           "one modality", "the file has 2: 'A', 'B'")
    _fails(capsys, [_write(tmp_path, _study()), "--model", "R1"], "did you mean 'r1'?")


def test_validation_too_few_readers(tmp_path, capsys):
    _fails(capsys, [_write(tmp_path, _study(readers=("r1",)))], "at least two readers")
    _fails(capsys, [_write(tmp_path, _study(readers=("ai", "r1"))), "--model", "ai"],
           "at least two readers besides the model")


def test_validation_header_and_binary_fom(tmp_path, capsys):
    _fails(capsys, [_write(tmp_path, "reader,case,truth,ratings\n")], "unknown column 'ratings'; did you mean 'rating'?",
           "required column 'rating' is missing")
    _fails(capsys, [_write(tmp_path, _study()), "--fom", "sensitivity"], "needs binary reads. (expected 0 or 1; found '3')")
    _fails(capsys, [_write(tmp_path, "")], "no header")
    _fails(capsys, [tmp_path / "absent.csv"], "cannot read the file")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00r")
    _fails(capsys, [tmp_path / "bin.csv"], "not UTF-8")
    _fails(capsys, [_write(tmp_path, _study()), "--level", "95"], "--level must be in (0, 1)")


def test_validation_hostile_names_and_field_count(tmp_path, capsys):
    text = _study().replace("r1,c0,0,0", "r\x1b[2J1,c0,0,0") + "r1,c9,1\n"
    _fails(capsys, [_write(tmp_path, text)], "control characters", "wrong number of fields")


def test_validation_only_positive_cases(tmp_path, capsys):
    text = "reader,case,truth,rating\n" + "".join(f"r{j},c{k},1,{k}\n" for j in range(3) for k in range(3))
    _fails(capsys, [_write(tmp_path, text)], "no negative case")


def test_validation_one_positive_case(tmp_path, capsys):
    text = "reader,case,truth,rating\n" + "".join(f"r{j},c{k},{int(k == 0)},{k}\n" for j in range(3) for k in range(4))
    _fails(capsys, [_write(tmp_path, text)], "each truth class needs two cases", "found 1 positive and 3 negative")


def test_problems_are_collected_not_first_only(tmp_path):
    text = _study().replace("r1,c0,0,0", "r1,c0,0,x").replace("r2,c0,0,0", "r2,c0,2,0") + "r3,c3,1,1\n"
    with pytest.raises(ReadsInvalid) as exc:
        read_mrmc_file(_write(tmp_path, text))
    codes = sorted(p.code for p in exc.value.problems)
    assert codes == ["duplicate-read", "rating-not-numeric", "truth-not-binary"]


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------
def test_cli_json_shape_and_determinism(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    assert main(["readers", "mrmc", VANDYKE, "--json", str(tmp_path / "a.json")]) == 0
    out = capsys.readouterr().out
    assert "F 4.4563 on 1 and 15.26 df, p 0.0517" in out
    assert "(-0.08796, 0.00036)" in out
    assert "readers like these reading cases like these" in out
    assert main(["readers", "mrmc", VANDYKE, "--json", "-"]) == 0
    text = capsys.readouterr().out
    assert text == (tmp_path / "a.json").read_text()
    res = json.loads(text)
    for key in ("fom", "modalities", "readers", "n_cases", "n_positive", "fom_by_modality_reader",
                "modality_means", "analyses"):
        assert key in res
    for k in ("RRRC", "RRFC"):
        assert {"f", "df1", "ddf", "p", "differences", "single"} <= set(res["analyses"][k])
    assert {"chi2", "df1", "p", "differences", "single"} <= set(res["analyses"]["FRRC"])
    for d in res["analyses"]["RRRC"]["differences"]:
        assert {"a", "b", "estimate", "se", "df", "ci", "p"} <= set(d)
    for s in res["analyses"]["RRRC"]["single"].values():
        assert {"estimate", "se", "df", "ci"} <= set(s)


def test_cli_model(root, tmp_path, capsys):
    text = "".join(l + "\n" for l in (root / VANDYKE).read_text().splitlines() if not l.split(",")[1] == "1")
    p = _write(tmp_path, text)
    assert main(["readers", "mrmc", str(p), "--model", "4", "--json", "-"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["model"] == "4" and res["readers"] == ["0", "1", "2", "3"]
    assert set(res["analyses"]) == {"RRRC", "RRFC"}
    for a in res["analyses"].values():
        assert {"difference", "se", "ci", "t", "df", "p"} <= set(a)
    printed(res["model_fom"], "0.82979066")
    assert main(["readers", "mrmc", str(p), "--model", "4"]) == 0
    assert "model - mean of readers" in capsys.readouterr().out


def test_validation_many_readers_sparse_design(tmp_path, capsys):
    # an attacker's sparse design: each of 1,001 readers reads two cases of its own; refused
    # on the count of readers before any reader x case array is built
    text = "reader,case,truth,rating\n" + "".join(f"r{j},a{j},1,1\nr{j},b{j},0,0\n" for j in range(1001))
    _fails(capsys, [_write(tmp_path, text)], "too many reader and modality combinations", "1001 readers x 1 modalities")
    # below the cap every reader is told which cases it missed; the list is cut with a count
    text = "reader,case,truth,rating\n" + "".join(f"r{j},a{j},1,1\nr{j},b{j},0,0\n" for j in range(30))
    err = _fails(capsys, [_write(tmp_path, text)], "reader 'r0' did not read 58 of the 60 cases", "and 53 more")
    assert "more problem(s) not shown" in err


def test_three_modalities_by_explicit_loops():
    # Obuchowski-Rockette written out pair by pair (Hillis 2007, eqs. for Cov1-Cov3 and ddf_H),
    # with brute-force deletion for the jackknife
    rng = np.random.default_rng(11)
    T, J, K = 3, 4, 40
    y = np.r_[np.ones(15, int), np.zeros(K - 15, int)]
    X = rng.integers(1, 6, size=(T, J, K)).astype(float) + y * np.array([0.5, 1.0, 1.5])[:, None, None]
    auc = np.array([[roc_auc_score(y, X[t, j]) for j in range(J)] for t in range(T)])
    jk = np.array([[_brute_jackknife_auc(y, X[t, j]) for j in range(J)] for t in range(T)])
    cov = {}
    for t1 in range(T):
        for j1 in range(J):
            for t2 in range(T):
                for j2 in range(J):
                    a, b = jk[t1, j1], jk[t2, j2]
                    cov[t1, j1, t2, j2] = (K - 1) / K * np.sum((a - a.mean()) * (b - b.mean()))
    kinds = {"var": [], "cov1": [], "cov2": [], "cov3": []}
    for (t1, j1, t2, j2), v in cov.items():
        kind = "var" if (t1, j1) == (t2, j2) else "cov1" if j1 == j2 else "cov2" if t1 == t2 else "cov3"
        kinds[kind].append(v)
    var, cov1, cov2, cov3 = (np.mean(kinds[k]) for k in ("var", "cov1", "cov2", "cov3"))
    m_t, m_j, m = auc.mean(1), auc.mean(0), auc.mean()
    ms_t = J * np.sum((m_t - m) ** 2) / (T - 1)
    ms_tr = sum((auc[t, j] - m_t[t] - m_j[j] + m) ** 2 for t in range(T) for j in range(J)) / ((T - 1) * (J - 1))
    den = ms_tr + J * max(cov2 - cov3, 0)
    ddf = den ** 2 / (ms_tr ** 2 / ((T - 1) * (J - 1)))
    out = or_analysis(*fom_jackknife(X, y), ["a", "b", "c"], list("wxyz"))
    c = out["variance_components"]["or"]
    assert (c["var_error"], c["cov1"], c["cov2"], c["cov3"]) == pytest.approx((var, cov1, cov2, cov3), rel=1e-10)
    r = out["analyses"]["RRRC"]
    assert r["f"] == pytest.approx(ms_t / den, rel=1e-10)
    assert r["ddf"] == pytest.approx(ddf, rel=1e-10)
    assert r["p"] == pytest.approx(stats.f.sf(ms_t / den, T - 1, ddf), rel=1e-9)
    assert [(d["a"], d["b"]) for d in r["differences"]] == [("a", "b"), ("a", "c"), ("b", "c")]
    for d, (i, k) in zip(r["differences"], [(0, 1), (0, 2), (1, 2)]):
        assert d["estimate"] == pytest.approx(m_t[i] - m_t[k], abs=1e-14)
        assert d["se"] == pytest.approx(np.sqrt(2 * den / J), rel=1e-10)
        assert d["df"] == pytest.approx(ddf, rel=1e-10)
    f = out["analyses"]["FRRC"]
    assert f["chi2"] == pytest.approx((T - 1) * ms_t / (var - cov1 + (J - 1) * max(cov2 - cov3, 0)), rel=1e-10)
    assert f["p"] == pytest.approx(stats.chi2.sf(f["chi2"], T - 1), rel=1e-9)
    q = out["analyses"]["RRFC"]
    assert q["f"] == pytest.approx(ms_t / ms_tr, rel=1e-10) and q["ddf"] == (T - 1) * (J - 1)


@settings(max_examples=150, deadline=None)
@given(hs.lists(hs.lists(hs.sampled_from(["r1", "r2", "c1", "c2", "0", "1", "2.5", "nan", "", " ", '"a,b"', "x\x00", "é", "1e999"]),
                         min_size=0, max_size=6), max_size=12),
       hs.sampled_from(["reader,case,truth,rating", "reader,case,truth,rating,modality", "case,reader,rating,truth", "reader,case"]))
def test_reads_file_fuzz_never_crashes(tmp_path_factory, rows, header):
    p = tmp_path_factory.mktemp("fuzz") / "reads.csv"
    p.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    try:
        data = read_mrmc_file(p)
    except ReadsInvalid as exc:
        assert exc.problems and all(pr.format() for pr in exc.problems)
        return
    res = mrmc_analysis(data)  # a file that passes validation can be analysed
    assert res["n_cases"] == len(data.cases)


@settings(max_examples=300, deadline=None)
@given(
    df=hs.one_of(hs.floats(0.01, 1e4), hs.integers(1, 200).map(float), hs.sampled_from([0.0, -1.0])),
    q=hs.floats(0.5, 0.9999),
    x=hs.one_of(hs.floats(0.0, 1e3), hs.just(0.0)),
)
def test_reference_distributions_equal_scipy_stats(df, q, x):
    """The t, normal, chi-square and F functions of the analyses (through scipy.special, to
    spare loading scipy.stats) give scipy.stats' values to the bit, nan for df <= 0 included."""
    from benchmark.stats import mrmc as M

    def same(a, b):
        b = float(b)
        return a == b or (np.isnan(a) and np.isnan(b))

    assert same(M._t_ppf(q, df), stats.t.ppf(q, df))
    assert same(M._t_sf(x, df), stats.t.sf(x, df))
    assert same(M._t_ppf(q, None), stats.norm.ppf(q))
    assert same(M._t_sf(x, None), stats.norm.sf(x))
    assert same(M._chi2_sf(x, df), stats.chi2.sf(x, df))
    assert same(M._f_sf(x, df, 2.5), stats.f.sf(x, df, 2.5))
    assert same(M._f_sf(x, 3.0, df), stats.f.sf(x, 3.0, df))
