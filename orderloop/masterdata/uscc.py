"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character.

python-stdnum refuses valid codes that begin with a letter (registration
authorities A, N, Y), so the check is done here.
"""
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def uscc_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code, or None when it is."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return "统一社会信用代码应为18位"
    bad = [char for char in code if char not in ALPHABET]
    if bad:
        return f"统一社会信用代码含有无效字符：{''.join(sorted(set(bad)))}"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3–8位应为行政区划代码（数字）"
    if uscc_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确"
    return None
