# Not imported by main.py: a loaded_modules code bundle leaves it out.
VALUE = 1
