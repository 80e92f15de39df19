"""Prints a PDF's pages as one JSON array, each page's size in points and its text, read with
pypdf, for the tests to check what a printed briefing holds and how it is laid out. The text is
NFKC-normalised, so the ligatures the fonts print ("ﬁ") read as their letters."""
import json
import sys
import unicodedata

from pypdf import PdfReader

reader = PdfReader(sys.argv[1], strict=True)
print(json.dumps([
    {
        "width": float(page.mediabox.width),
        "height": float(page.mediabox.height),
        "text": unicodedata.normalize("NFKC", page.extract_text()),
    }
    for page in reader.pages
]))
