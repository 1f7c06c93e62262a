"""The RASP programs that scripts/tracr/compile_programs.py compiles into circ models.

Each entry of PROGRAMS builds one program from Tracr's RASP primitives; building is a function so
that every compile starts from a fresh expression graph (Tracr numbers expressions as they are
first labelled, and those numbers appear in the residual labels such as `reverse_1:3`).
All programs read a sequence over VOCAB of at most MAX_SEQ_LEN tokens and write one output token
per position (a categorical output, read by argmax).
"""
from fractions import Fraction

from tracr.rasp import rasp

VOCAB = {1, 2, 3, 4}
MAX_SEQ_LEN = 4
BOS = "BOS"
PAD = "compiler_pad"


def length():
    """Length of the sequence at every position: how many keys a query selects when all match."""
    return rasp.SelectorWidth(rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.TRUE)).named("length")


def copy():
    """Each position reads its own token through attention."""
    same = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.EQ)
    return rasp.Aggregate(same, rasp.tokens).named("copy")


def reverse():
    """Position i reads the token at length - 1 - i (the RASP paper's reverse)."""
    opposite = (length() - rasp.indices).named("opp_idx")
    opposite = (opposite - 1).named("opp_idx-1")
    mirror = rasp.Select(rasp.indices, opposite, rasp.Comparison.EQ)
    return rasp.Aggregate(mirror, rasp.tokens).named("reverse")


def histogram():
    """At each position, how many tokens of the sequence equal this one (itself included)."""
    same = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.EQ)
    return rasp.SelectorWidth(same).named("histogram")


def sort():
    """The tokens in ascending order; equal tokens keep their order (ties broken by position)."""
    key = rasp.SequenceMap(lambda token, index: token + index / (MAX_SEQ_LEN + 1),
                           rasp.tokens, rasp.indices).named("sort_key")
    smaller = rasp.Select(key, key, rasp.Comparison.LT)
    place = rasp.SelectorWidth(smaller).named("sort_place")
    destination = rasp.Select(place, rasp.indices, rasp.Comparison.EQ)
    return rasp.Aggregate(destination, rasp.tokens).named("sort")


def frac_prevs():
    """The fraction of positions up to and including this one whose token is 1, as a reduced
    fraction ("0", "1/3", "3/4", ...). Counted categorically: a position holding 1 gets its index
    as key, any other position a key no query index reaches, and a query counts the keys <= its own
    index. (Tracr's numerical mean would give a numerical output, which circ does not read, and
    Tracr 1.0 takes the mean's values to be 0 and 1/n only, so no MLP after it can read 2/3 or 3/4.)"""
    key = rasp.SequenceMap(lambda token, index: index if token == 1 else MAX_SEQ_LEN,
                           rasp.tokens, rasp.indices).named("one_at")
    ones = rasp.SelectorWidth(rasp.Select(key, rasp.indices, rasp.Comparison.LEQ)).named("ones_so_far")
    return rasp.SequenceMap(lambda count, index: str(Fraction(count, index + 1)),
                            ones, rasp.indices).named("frac_prevs")


def echo():
    """Token 4 is a placeholder: at every position after the first, a 4 is replaced by the token
    before it (as given in the input); every other token, and the first, is kept."""
    before = rasp.Map(lambda i: max(i - 1, 0), rasp.indices).named("before")
    previous = rasp.Aggregate(rasp.Select(rasp.indices, before, rasp.Comparison.EQ), rasp.tokens).named("previous")
    return rasp.SequenceMap(lambda token, prev: prev if token == 4 else token,
                            rasp.tokens, previous).named("echo")


def swap_first_last():
    """The first and the last token change places; the others stay."""
    def source(index, n):
        return n - 1 if index == 0 else 0 if index == n - 1 else index
    where = rasp.SequenceMap(source, rasp.indices, length()).named("swap_source")
    pick = rasp.Select(rasp.indices, where, rasp.Comparison.EQ)
    return rasp.Aggregate(pick, rasp.tokens).named("swap_first_last")


PROGRAMS = {build.__name__: build for build in
            (copy, reverse, histogram, sort, frac_prevs, length, echo, swap_first_last)}
