"""Pinyin initials (core.pinyin): names read as people say them, and the dictionary loaded only when a name is."""
import os
import subprocess
import sys
from pathlib import Path

from orderloop.core.pinyin import pinyin_initials

ROOT = Path(__file__).resolve().parents[2]


def test_initials_read_a_name_by_its_phrases():
    assert pinyin_initials("重庆长安汽车股份有限公司") == "cqcaqcgfyxgs"  # 重庆 chongqing, 长安 chang'an
    assert pinyin_initials("ABC 科技-2") == "abckj2"
    assert pinyin_initials("") == ""


def test_a_web_process_loads_the_pinyin_dictionary_only_when_it_reads_a_name():
    """Every URL and view imported, as a web worker starts: pypinyin (about 56 MB) not yet loaded."""
    script = ("import sys, django; django.setup(); import orderloop.config.urls; "
              "print('pypinyin' in sys.modules); "
              "from orderloop.core.pinyin import pinyin_initials; pinyin_initials('科技'); "
              "print('pypinyin' in sys.modules)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orderloop.config.settings"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
