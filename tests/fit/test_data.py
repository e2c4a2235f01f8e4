"""Reading NONMEM- and Monolix-style data sets, and the bad-data corpus (design.md testing layer 6)."""

from __future__ import annotations

import io

import numpy as np
import pytest

import cartsim
from cartsim.errors import FitDataError
from cartsim.fit import read_data

GOOD_NONMEM = """ID,TIME,DV,AMT,EVID,MDV,CMT,LLOQ,BLQ,WT
1,0,.,2.5,1,1,1,.,.,70
1,1,2.1,.,0,0,2,0.1,0,70
1,2,1.5,.,0,0,2,0.1,0,70
1,30,0.05,.,0,0,2,0.1,1,70
2,0,.,1.0,1,1,1,.,.,55
2,1,0.8,.,0,0,2,0.1,0,55
2,3,.,.,0,1,2,.,.,55
"""

GOOD_MONOLIX = """id,time,y,amount,censored,limit,ytype,sex
A,0,6,.,0,.,1,F
A,7,12000,.,0,.,1,F
A,180,50,.,1,0,1,F
B,0,6,.,0,.,1,M
B,28,900,.,0,.,1,M
"""


def test_nonmem_doses_cmt_censoring_and_covariates(linear_model: cartsim.Model) -> None:
    """Dose rows become cartsim.Dose events into the CMT-mapped state; BLQ=1 rows are censored at LLOQ."""
    data = read_data(io.StringIO(GOOD_NONMEM), linear_model, observe={2: "total"}, dose_into={1: "central"}, covariates=["WT"])
    assert data.ids == (1, 2)
    first, second = data.subjects
    assert first.doses == (cartsim.Dose("central", 2.5, 0.0),)
    np.testing.assert_array_equal(first.times, [1, 2, 30])
    np.testing.assert_array_equal(first.censored, [False, False, True])
    assert first.upper[2] == 0.1
    assert first.lower[2] == -np.inf
    np.testing.assert_array_equal(first.rows, [3, 4, 5])  # spreadsheet rows: header is row 1
    assert second.n_observations == 1  # the MDV=1 row is skipped
    assert data.covariates.loc[2, "WT"] == 55
    with pytest.raises(ValueError, match="read-only"):
        first.times[0] = 5.0


def test_monolix_interval_censoring_and_string_ids(stein: cartsim.Model) -> None:
    """Monolix: `censored`=1 means below `y` (the LLOQ), `limit` is the interval's lower end."""
    data = read_data(io.StringIO(GOOD_MONOLIX), stein, observe={1: "transgene"}, covariates=["sex"])
    assert data.ids == ("A", "B")
    a = data.subject("A")
    np.testing.assert_array_equal(a.times, [0, 7, 180])
    assert a.censored.tolist() == [False, False, True]
    assert a.upper[2] == 50
    assert a.lower[2] == 0
    assert data.covariates["sex"].tolist() == ["F", "M"]


BAD = [
    # (name, csv, expected row, expected column text)
    ("unknown column", "ID,TIEM,DV\n1,0,5\n", 1, "TIEM"),
    ("duplicate column", "ID,TIME,DV,time\n1,0,5,0\n", 1, "time"),
    ("alias twice", "ID,TIME,DV,Y\n1,0,5,5\n", 1, "Y"),
    ("missing DV column", "ID,TIME,AMT\n1,0,5\n", 1, "DV"),
    ("non-numeric time", "ID,TIME,DV\n1,0,5\n1,two,6\n", 3, "TIME"),
    ("non-numeric DV", "ID,TIME,DV\n1,0,5\n1,1,<LLOQ\n", 3, "DV"),
    ("unsorted times", "ID,TIME,DV\n1,0,5\n1,7,8\n1,4,6\n", 4, "TIME"),
    ("negative time", "ID,TIME,DV\n1,-1,5\n", 2, "TIME"),
    ("dose without amount", "ID,TIME,DV,AMT,EVID\n1,0,.,.,1\n1,1,5,.,0\n", 2, "AMT"),
    ("negative amount", "ID,TIME,DV,AMT,EVID\n1,0,.,-3,1\n1,1,5,.,0\n", 2, "AMT"),
    ("DV <= 0 on log scale", "ID,TIME,DV\n1,0,5\n1,1,0\n", 3, "DV"),
    ("observation without DV", "ID,TIME,DV,MDV\n1,0,5,0\n1,1,.,0\n", 3, "DV"),
    ("bad EVID", "ID,TIME,DV,EVID\n1,0,5,0\n1,1,5,4\n", 3, "EVID"),
    ("bad MDV", "ID,TIME,DV,MDV\n1,0,5,2\n", 2, "MDV"),
    ("right censoring", "id,time,y,cens\n1,0,5,0\n1,1,5,-1\n", 3, "cens"),
    ("censored without limit", "ID,TIME,DV,BLQ\n1,0,5,0\n1,1,.,1\n", 3, "BLQ"),
    ("subject rows split", "ID,TIME,DV\n1,0,5\n2,0,5\n1,1,5\n", 4, "ID"),
    ("missing ID", "ID,TIME,DV\n1,0,5\n,1,5\n", 3, "ID"),
    ("time-varying covariate", "ID,TIME,DV,WT\n1,0,5,70\n1,1,5,71\n", 3, "WT"),
    ("unmapped YTYPE", "ID,TIME,DV,YTYPE\n1,0,5,1\n1,1,5,2\n", 3, "YTYPE"),
    ("dose into a model without a dose state", "ID,TIME,DV,AMT,EVID\n1,0,.,5,1\n1,1,5,.,0\n", 2, "AMT"),
]


@pytest.mark.parametrize(("csv", "row", "column"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_data_corpus(tmp_path, stein: cartsim.Model, csv: str, row: int, column: str) -> None:  # type: ignore[no-untyped-def]
    """Each malformed file fails with FitDataError naming its spreadsheet row and its column."""
    path = tmp_path / "data.csv"
    path.write_text(csv)
    observe = {1: "transgene"} if "YTYPE" in csv else None
    covariates = ["WT"] if "WT" in csv else []
    with pytest.raises(FitDataError) as caught:
        read_data(path, stein, observe=observe, covariates=covariates)
    message = str(caught.value)
    assert f"row {row}" in message, message
    assert column in message, message
    assert caught.value.row == row


def test_did_you_mean_for_unknown_columns(stein: cartsim.Model) -> None:
    with pytest.raises(FitDataError, match="Did you mean `TIME`"):
        read_data(io.StringIO("ID,TIEM,DV\n1,0,5\n"), stein)
