import a.b.c as d, e
from . import x
from ..p.q import (r,
    s as t)
from m import *
if True: import inside; import after_semicolon
def f():
    from .sub import g  # comment with import fake
s = """import not_this"""
b = rb'import nor_this'
f2 = f"{'import' if x else f'{y!r:>{w}}'} import no"
x = 1 + \
    2; import cont
try:
    import maybe
except ImportError:
    pass
