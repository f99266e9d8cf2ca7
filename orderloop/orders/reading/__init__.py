"""Reading a paper order: text (an OCR engine's lines with their boxes and confidences, or a mail's plain body)
understood into a draft whose every field keeps its confidence, its box and what disagrees with it
(``understanding``); the OCR engine itself, optional, on this machine (``engine``)."""
