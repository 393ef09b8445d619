"""The movement package stands on its own: nothing in it loads the scenario layer."""

from __future__ import annotations

import subprocess
import sys


def test_movement_imports_no_scenario_code() -> None:
    code = ("import sys\n"
            "import agents.movement.behaviour, agents.movement.csm_kernel, agents.movement.doorways\n"
            "import agents.movement.levels, agents.movement.motion_kernel, agents.movement.navigation\n"
            "import agents.movement.pedestrians, agents.movement.routes, agents.movement.selections\n"
            "import agents.movement.standoffs, agents.movement.states, agents.movement.capsules\n"
            "print(sorted(m for m in sys.modules if m == 'scenarios' or m.startswith('scenarios.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
