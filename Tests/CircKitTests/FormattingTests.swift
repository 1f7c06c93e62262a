import Testing

/// `format()`, the `if … else …` expression and native `enumerate`/`zip`: what analysis scripts used to
/// write by hand (pad/fixed, `c and a or b`, interpreted loops).
@Suite struct FormattingAndConditionals {
    @Test func formatFixesDecimalsAndPads() {
        #expect(circ("print(format(0.5, digits=3), format(1, digits=3), format(-0.12345, digits=2), format(0.9995, digits=3), format(2.5, digits=0))").output
                == "0.500 1.000 -0.12 1.000 3")
        #expect(circ("print(format(\"ab\", width=5) + \"|\", format(3, width=4, align=\"right\"), format(\"\", width=3, fill=\"-\"), format([1, \"a\"], digits=2))").output
                == "ab   |    3 --- [1, \"a\"]")
        #expect(circ("format(1, fill=\"ab\")").error?.message == "format: fill must be one character, got \"ab\"")
        #expect(circ("format(1, digits=-1)").error?.message == "format: 'digits' must be a whole number ≥ 0, got -1")
    }

    @Test func enumerateAndZipAreBuiltinsOverAnythingForVisits() {
        #expect(circ("print(enumerate([\"a\", \"b\"]), zip([1, 2, 3], \"xy\"), enumerate(dataset(\"copy\", n=2))[1][1].src == dataset(\"copy\", n=2)[1].src)").output
                == "[[0, \"a\"], [1, \"b\"]] [[1, \"x\"], [2, \"y\"]] true")
        #expect(circ("enumerate(3)").error?.message == "enumerate: cannot loop over a number")
    }

    @Test func appendAndExtendGrowAListVariableInPlaceKeepingValueSemantics() {
        #expect(circ("""
        xs = []
        for i in range(5) { append(xs, i) }
        ys = xs
        append(xs, 99)
        extend(xs, [7, 8])
        g = fn() { acc = [1]; h = fn() { append(acc, 2) }; h(); acc }
        print(xs, ys, g())
        fn append_twice(a) { append(a, 0); append(a, 0); a }
        print(append_twice([5]), len(xs))
        """).output == "[0, 1, 2, 3, 4, 99, 7, 8] [0, 1, 2, 3, 4] [1, 2]\n[5, 0, 0] 8")
        #expect(circ("append([1], 2)").error?.message == "append: the first argument must be a list variable, as in append(xs, x)")
        #expect(circ("s = \"x\"\nappend(s, 1)").error?.message == "append: 's' must hold a list")
        #expect(circ("xs = [1]\nextend(xs, 3)").error?.message == "extend: the items must be a list, got a number")
        #expect(circ("fn append(a, b) { \"mine\" }\nxs = [1]\nprint(append(xs, 2), xs)").output == "mine [1]")
    }

    @Test func ifIsAnExpressionWithARequiredElse() {
        #expect(circ("""
        x = 5
        print(if x > 3 { "big" } else { "small" }, if x > 10 { 1 } else if x > 4 { 2 } else { 3 })
        y = if x < 0 {
          "negative"
        } else {
          "not negative"
        }
        print(y, map([false, true], fn(b) { if b { "yes" } else { "no" } }))
        """).output == "big 2\nnot negative [\"no\", \"yes\"]")
        #expect(circ("y = if 1 { 2 }").error?.message == "expected 'else' in an if expression, which needs an else branch, found end of input")
    }
}
