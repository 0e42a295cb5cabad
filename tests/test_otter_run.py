"""One submission graded in its own process under memory and CPU limits (gru_edu.grading.otter_run)."""

from __future__ import annotations

import json


from gru_edu.grading import otter_run


def test_submission_processes_get_memory_and_cpu_limits(tmp_path):
    import sys

    log = tmp_path / "limits.log"
    show = ("import json, resource; print(json.dumps([resource.getrlimit(resource.RLIMIT_AS),"
            " resource.getrlimit(resource.RLIMIT_CPU)]))")
    rc = otter_run.run_limited([sys.executable, "-c", show], log, str(tmp_path), 60,
                               otter_run.resource_limits(2048, 77))
    assert rc == 0
    assert json.loads(log.read_text()) == [[2048 * 2**20] * 2, [77, 82]]
    # past its memory limit, a submission's process fails alone
    hog = "import numpy as np; np.ones(2**31)"
    rc = otter_run.run_limited([sys.executable, "-c", hog], log, str(tmp_path), 60,
                               otter_run.resource_limits(1024, None))
    assert rc != 0 and "MemoryError" in log.read_text()
    # past its wall-clock limit it is killed, with what it started
    rc = otter_run.run_limited(["sh", "-c", "sleep 60 & sleep 60"], log, str(tmp_path), 1,
                               None)
    assert rc is None

