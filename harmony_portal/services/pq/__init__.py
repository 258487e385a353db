"""The PQ chapter: filing and working PQs, notes and their private files, the help desk's queue and clock."""
