"""What the benchmarks share: the machine their figures come from, and writing a benchmark's section of its
results file (bench/results/*.md, between the section's markers; the rest of the file is kept)."""
import os
import platform
import re
import subprocess
from pathlib import Path


def machine() -> dict:
    """CPU model, cores and memory, or "?" where this system does not say."""
    info = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info["cpu"] = re.search(r"Model name:\s*(.+)", lscpu).group(1).strip()
    except (OSError, AttributeError):  # no lscpu, or no model line in its output
        info["cpu"] = platform.processor() or "?"
    info["cores"] = os.cpu_count()
    try:
        kb = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        info["ram"] = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):  # not Linux: no /proc/meminfo
        info["ram"] = "?"
    return info


def write_section(path: Path, name: str, engine: str, section: str, *, new_file: str) -> None:
    """Replace the ``<!-- name:engine -->`` section of ``path`` (``new_file`` when there is no file yet)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else new_file
    start, end = f"<!-- {name}:{engine} -->", f"<!-- /{name}:{engine} -->"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{section}{end}{tail}")
