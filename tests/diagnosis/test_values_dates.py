"""Date parsing builds calendar dates itself: valid forms land on the right instant, impossible ones are invalid."""

import numpy as np
import pyarrow as pa

from diagnosis.values import _timestamps


def test_forms_and_impossible_dates():
    values, invalid = _timestamps(pa.array(["2022/08/01 19:30:05", "2022-02-30", "20220229", "2024-02-29", "2022年8月", "2022-13-01",
                                            "2022-08-01 25:00:00", "-", "44774"]))
    expected = ["2022-08-01T19:30:05", "NaT", "NaT", "2024-02-29T00:00:00", "2022-08-01T00:00:00", "NaT", "NaT", "NaT", "2022-08-01T00:00:00"]
    assert [str(v) if not np.isnat(v) else "NaT" for v in values.astype("datetime64[s]")] == expected
    assert invalid.tolist() == [False, True, True, False, False, True, True, False, False]
