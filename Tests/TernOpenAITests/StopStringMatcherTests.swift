import Testing

@testable import TernOpenAI

@Suite struct StopStringMatcherTests {
    /// Feeds pieces and returns everything released plus the stop that ended it.
    func run(_ stops: [String], _ pieces: [String]) -> (text: String, stopped: String?) {
        var matcher = StopStringMatcher(stops: stops)
        var text = ""
        for piece in pieces {
            let step = matcher.feed(piece)
            text += step.text
            if let stopped = step.stopped { return (text, stopped) }
        }
        return (text + matcher.finish(), nil)
    }

    @Test func passesTextThroughWithoutStops() {
        var matcher = StopStringMatcher(stops: [])
        #expect(matcher.feed("abc") == .init(text: "abc"))
        #expect(matcher.finish() == "")
    }

    @Test func holdsBackOnlyPossiblePrefixes() {
        var matcher = StopStringMatcher(stops: ["END"])
        #expect(matcher.feed("The E") == .init(text: "The "))
        #expect(matcher.heldText == "E")
        #expect(matcher.feed("x") == .init(text: "Ex"))
        #expect(matcher.feed(" EN") == .init(text: " "))
        #expect(matcher.feed("D more") == .init(text: "", stopped: "END"))
        #expect(matcher.isStopped)
        #expect(matcher.feed("ignored") == .init(text: ""))
        #expect(matcher.finish() == "")
    }

    @Test func stopSpanningManyPieces() {
        #expect(run(["<|end|>"], ["Hi", "<", "|", "end", "|", ">", "after"]) == ("Hi", "<|end|>"))
    }

    @Test func stopAtTheVeryBeginning() {
        #expect(run(["\n"], ["\n", "x"]) == ("", "\n"))
        #expect(run(["ab"], ["abc"]) == ("", "ab"))
    }

    @Test func textAfterTheStopInTheSamePieceIsDropped() {
        #expect(run(["."], ["One. Two."]) == ("One", "."))
    }

    @Test func heldPrefixIsReleasedAtTheEnd() {
        #expect(run(["STOP"], ["go ST", "O"]) == ("go STO", nil))
    }

    @Test func overlappingStops() {
        // The stop that completes first wins, whatever the split.
        for pieces in [["xabc"], ["x", "a", "b", "c"], ["xa", "bc"]] {
            #expect(run(["abc", "b"], pieces) == ("xa", "b"))
        }
        // Same end: the longer one (earlier start) wins.
        for pieces in [["xabc"], ["x", "ab", "c"]] {
            #expect(run(["bc", "abc"], pieces) == ("x", "abc"))
        }
        // A failed partial match must not hide a stop starting inside it.
        #expect(run(["aab"], ["a", "a", "a", "b"]) == ("a", "aab"))
        #expect(run(["abab"], ["ab", "a", "c"]) == ("abac", nil))
    }

    @Test func unicodeStops() {
        #expect(run(["👋🏽"], ["hi ", "👋", "🏽", "!"]) == ("hi ", "👋🏽"))
        #expect(run(["é"], ["caf", "é au lait"]) == ("caf", "é"))
        // Decomposed "e\u{301}" is a different scalar sequence than "é": no match.
        #expect(run(["é"], ["cafe", "\u{301}"]) == ("cafe\u{301}", nil))
        // A stop starting with a multi-byte scalar held across pieces, then not completed.
        #expect(run(["日本語"], ["日本", "人"]) == ("日本人", nil))
    }

    @Test func emptyStopsAreIgnored() {
        #expect(run(["", "x"], ["abxc"]) == ("ab", "x"))
    }

    @Test func sameResultForEverySplit() {
        let text = "one two <stop> three"
        let stops = ["<stop>", "two <s", "e th"]
        let whole = run(stops, [text])
        let characters = Array(text)
        for cut in 1..<characters.count {
            let pieces = [String(characters[..<cut]), String(characters[cut...])]
            #expect(run(stops, pieces) == whole, "split at \(cut)")
        }
        #expect(run(stops, characters.map { String($0) }) == whole)
        #expect(whole == ("one ", "two <s"))
    }
}
