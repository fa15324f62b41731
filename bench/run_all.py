"""`make bench`: run every benchmark in this folder, one after another, printing their figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.name.startswith("_") or script.name in (
            "run_all.py",
            "locustfile.py",
            "district_locust.py",
            "benchsite.py",
        ):
            continue
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE).returncode:
            failed.append(script.name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
