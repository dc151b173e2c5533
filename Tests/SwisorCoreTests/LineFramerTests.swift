import Testing

@testable import SwisorCore

/// A line as the tests see it: a copy of the bytes, how it ended, whether it continued a
/// cut line.
struct FramedPiece: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var end: LineFramer.Line.End
    var isContinuation = false

    init(_ text: String, _ end: LineFramer.Line.End = .newline, continuation: Bool = false) {
        self.init(bytes: Array(text.utf8), end, continuation: continuation)
    }

    init(bytes: [UInt8], _ end: LineFramer.Line.End = .newline, continuation: Bool = false) {
        self.bytes = bytes
        self.end = end
        self.isContinuation = continuation
    }

    var description: String {
        "\(String(decoding: bytes, as: UTF8.self).debugDescription) \(end)\(isContinuation ? " (continued)" : "")"
    }
}

@Suite("Line framer")
struct LineFramerTests {
    /// Feeds `chunks` in order, then flushes when asked, collecting every piece.
    static func frame(_ chunks: [[UInt8]], max: Int = LineFramer.defaultMaxLineBytes, flush: Bool = true)
        -> [FramedPiece]
    {
        var framer = LineFramer(maxLineBytes: max)
        var pieces: [FramedPiece] = []
        let collect = { (line: LineFramer.Line) in
            pieces.append(FramedPiece(bytes: Array(line.bytes), line.end, continuation: line.isContinuation))
        }
        for chunk in chunks { framer.feed(chunk, collect) }
        if flush { framer.flush(collect) }
        return pieces
    }

    static func frame(_ text: String, max: Int = LineFramer.defaultMaxLineBytes, flush: Bool = true) -> [FramedPiece] {
        frame([Array(text.utf8)], max: max, flush: flush)
    }

    /// Every way of cutting `bytes` into two chunks, byte by byte, and a few random
    /// chunkings: each must frame exactly as the whole input does.
    static func expectChunkingInvariance(_ bytes: [UInt8], max: Int, seed: UInt64 = 1) {
        let whole = frame([bytes], max: max)
        for split in 0...bytes.count {
            #expect(frame([Array(bytes[..<split]), Array(bytes[split...])], max: max) == whole, "split at \(split)")
        }
        #expect(frame(bytes.map { [$0] }, max: max) == whole, "byte by byte")
        var random = SplitMix64(state: seed)
        for round in 0..<20 {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 0...(2 * max + 3), using: &random)
                chunks.append(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            #expect(frame(chunks, max: max) == whole, "random chunking \(round)")
        }
    }

    /// What every framing must keep: the bytes, in order, and the limit.
    static func expectReassembles(_ pieces: [FramedPiece], _ bytes: [UInt8], max: Int) {
        var joined: [UInt8] = []
        var previousCut = false
        for piece in pieces {
            #expect(piece.bytes.count <= max)
            #expect(piece.isContinuation == previousCut)
            if piece.end == .cut { #expect(!piece.bytes.isEmpty) }
            joined += piece.bytes
            if piece.end == .newline { joined.append(0x0A) }
            previousCut = piece.end == .cut
        }
        #expect(joined == bytes)
    }

    @Test("lines, empty lines, and what is left at the end")
    func basics() {
        #expect(Self.frame("a\nbc\n") == [FramedPiece("a"), FramedPiece("bc")])
        #expect(Self.frame("\n\n\n") == [FramedPiece(""), FramedPiece(""), FramedPiece("")])
        #expect(Self.frame("a\n\nb\n") == [FramedPiece("a"), FramedPiece(""), FramedPiece("b")])
        #expect(Self.frame("") == [])
        #expect(Self.frame("tail") == [FramedPiece("tail", .endOfInput)])
        #expect(Self.frame("a\ntail") == [FramedPiece("a"), FramedPiece("tail", .endOfInput)])
        #expect(Self.frame("a\ntail", flush: false) == [FramedPiece("a")])
    }

    @Test("only \\n separates lines: CR, CRLF, NUL and form feeds stay in the line")
    func separators() {
        #expect(Self.frame("a\r\nb\r\n") == [FramedPiece("a\r"), FramedPiece("b\r")])
        #expect(Self.frame("progress 10%\rprogress 20%\rdone\n") == [FramedPiece("progress 10%\rprogress 20%\rdone")])
        #expect(Self.frame("\r\n") == [FramedPiece("\r")])
        #expect(Self.frame("a\u{0}b\u{0C}c\n") == [FramedPiece("a\u{0}b\u{0C}c")])
        #expect(Self.frame("x\r") == [FramedPiece("x\r", .endOfInput)])
    }

    @Test("a line split across chunks is held until its newline")
    func heldAcrossChunks() {
        var framer = LineFramer()
        var pieces: [FramedPiece] = []
        let collect = { (line: LineFramer.Line) in
            pieces.append(FramedPiece(bytes: Array(line.bytes), line.end, continuation: line.isContinuation))
        }
        framer.feed(Array("first\nsec".utf8), collect)
        #expect(pieces == [FramedPiece("first")])
        #expect(framer.heldByteCount == 3)
        framer.feed(Array("on".utf8), collect)
        #expect(framer.heldByteCount == 5)
        framer.feed(Array("d\r\nthi".utf8), collect)
        #expect(pieces == [FramedPiece("first"), FramedPiece("second\r")])
        framer.feed([], collect)
        #expect(framer.heldByteCount == 3)
        framer.flush(collect)
        #expect(pieces == [FramedPiece("first"), FramedPiece("second\r"), FramedPiece("thi", .endOfInput)])
        #expect(framer.heldByteCount == 0)
        // Flushing again hands over nothing; the framer can go on with a new stream.
        framer.flush(collect)
        framer.feed(Array("again\n".utf8), collect)
        #expect(pieces.count == 4 && pieces[3] == FramedPiece("again"))
    }

    @Test("lines in a chunk are handed over as views into it, without copying")
    func zeroCopy() {
        let chunk = Array("one\ntwo\nthree\n".utf8)
        var framer = LineFramer()
        chunk.withUnsafeBytes { raw in
            var starts: [Int] = []
            framer.feed(raw) { line in
                starts.append(line.bytes.baseAddress! - raw.baseAddress!)
            }
            #expect(starts == [0, 4, 8])
        }
    }

    @Test("a long line is cut into pieces of the maximum size")
    func longLines() {
        // Exactly the maximum: one line, not cut. One byte more: cut.
        #expect(Self.frame("abcd\n", max: 4) == [FramedPiece("abcd")])
        #expect(Self.frame("abcde\n", max: 4) == [FramedPiece("abcd", .cut), FramedPiece("e", continuation: true)])
        #expect(
            Self.frame("abcdefghij\nxy\n", max: 4) == [
                FramedPiece("abcd", .cut), FramedPiece("efgh", .cut, continuation: true),
                FramedPiece("ij", continuation: true), FramedPiece("xy"),
            ])
        // Twice the maximum: the second piece is full and ends the line.
        #expect(
            Self.frame("abcdefgh\n", max: 4) == [
                FramedPiece("abcd", .cut), FramedPiece("efgh", continuation: true),
            ])
        // A long line that the stream ends in the middle of.
        #expect(
            Self.frame("abcdefghij", max: 4) == [
                FramedPiece("abcd", .cut), FramedPiece("efgh", .cut, continuation: true),
                FramedPiece("ij", .endOfInput, continuation: true),
            ])
        #expect(
            Self.frame("abcdefgh", max: 4) == [
                FramedPiece("abcd", .cut), FramedPiece("efgh", .endOfInput, continuation: true),
            ])
    }

    @Test("the default maximum is 16 KiB")
    func defaultMaximum() {
        #expect(LineFramer.defaultMaxLineBytes == 16_384)
        #expect(LineFramer().maxLineBytes == 16_384)
        let exact = [UInt8](repeating: UInt8(ascii: "x"), count: 16_384)
        #expect(Self.frame([exact + [0x0A]]) == [FramedPiece(bytes: exact)])
        let long = [UInt8](repeating: UInt8(ascii: "y"), count: 40_000) + [0x0A]
        let pieces = Self.frame([long])
        #expect(pieces.map(\.bytes.count) == [16_384, 16_384, 7_232])
        #expect(pieces.map(\.end) == [.cut, .cut, .newline])
        Self.expectReassembles(pieces, long, max: 16_384)
        // Fed as a pipe would deliver it, 4 KiB at a time.
        var chunks: [[UInt8]] = []
        var i = 0
        while i < long.count {
            chunks.append(Array(long[i..<min(long.count, i + 4096)]))
            i += 4096
        }
        #expect(Self.frame(chunks) == pieces)
    }

    @Test("a cut never splits a UTF-8 character")
    func utf8Boundaries() {
        // "é" is C3 A9, "€" is E2 82 AC, "😀" is F0 9F 98 80.
        #expect(Self.frame("abcé\n", max: 4) == [FramedPiece("abc", .cut), FramedPiece("é", continuation: true)])
        #expect(Self.frame("ab€\n", max: 4) == [FramedPiece("ab", .cut), FramedPiece("€", continuation: true)])
        #expect(Self.frame("a€x\n", max: 4) == [FramedPiece("a€", .cut), FramedPiece("x", continuation: true)])
        #expect(Self.frame("a😀\n", max: 4) == [FramedPiece("a", .cut), FramedPiece("😀", continuation: true)])
        #expect(Self.frame("😀😀\n", max: 4) == [FramedPiece("😀", .cut), FramedPiece("😀", continuation: true)])
        #expect(
            Self.frame("ab😀c\n", max: 5)
                == [FramedPiece("ab", .cut), FramedPiece("😀c", continuation: true)])
        #expect(
            Self.frame("éééé\n", max: 5) == [
                FramedPiece("éé", .cut), FramedPiece("éé", continuation: true),
            ])
        for max in 4...9 {
            let text = "日本語のテキスト😀é€a😀😀 mixed ascii and 日本語\n"
            let pieces = Self.frame(text, max: max)
            Self.expectReassembles(pieces, Array(text.utf8), max: max)
            for piece in pieces {
                // Every piece is whole characters: decoding it changes nothing.
                #expect(Array(String(decoding: piece.bytes, as: UTF8.self).utf8) == piece.bytes, "max \(max): \(piece)")
            }
            Self.expectChunkingInvariance(Array(text.utf8), max: max, seed: UInt64(max))
        }
    }

    @Test("bytes that are not UTF-8 are cut at the full size")
    func invalidUTF8() {
        // Continuation bytes with no lead: more than three cannot be one character.
        let junk: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0A]
        #expect(
            Self.frame([junk], max: 4) == [
                FramedPiece(bytes: [0x80, 0x80, 0x80, 0x80], .cut),
                FramedPiece(bytes: [0x80, 0x80], continuation: true),
            ])
        // A whole character followed by a stray continuation byte: the character is not
        // split, and is not moved to the next piece either.
        let stray: [UInt8] = [0x61, 0x62, 0xC3, 0xA9, 0x80, 0x80, 0x0A]
        #expect(
            Self.frame([stray], max: 4) == [
                FramedPiece(bytes: [0x61, 0x62, 0xC3, 0xA9], .cut),
                FramedPiece(bytes: [0x80, 0x80], continuation: true),
            ])
        // A lead byte and four continuations: the cut backs off before the lead once, then
        // the four bytes are a whole character and the fifth goes on alone.
        let tooLong: [UInt8] = [0x61, 0xF0, 0x9F, 0x98, 0x80, 0x80, 0x0A]
        #expect(
            Self.frame([tooLong], max: 4) == [
                FramedPiece(bytes: [0x61], .cut),
                FramedPiece(bytes: [0xF0, 0x9F, 0x98, 0x80], .cut, continuation: true),
                FramedPiece(bytes: [0x80], continuation: true),
            ])
        // Binary data of every byte value keeps its bytes and respects the limit.
        let binary = (0..<3).flatMap { _ in (0...255).map { UInt8($0) } }
        for max in [4, 5, 7, 64] {
            let pieces = Self.frame([binary], max: max)
            Self.expectReassembles(pieces, binary, max: max)
        }
        Self.expectChunkingInvariance(binary, max: 7)
    }

    @Test("any chunking frames the same: lines, empty lines, CRLF, long lines, a partial end")
    func chunkingInvariance() {
        let text = "short\n\n\r\nexactly8\nnine char\na much longer line than eight bytes\néé€😀\nend without newline"
        for max in [4, 8, 9, 16] {
            let pieces = Self.frame(text, max: max)
            Self.expectReassembles(pieces, Array(text.utf8), max: max)
            Self.expectChunkingInvariance(Array(text.utf8), max: max, seed: UInt64(max) * 31)
        }
    }

    @Test("random streams: the bytes survive, the limit holds, chunking does not matter")
    func randomStreams() {
        var random = SplitMix64(state: 42)
        let alphabet: [[UInt8]] = [
            [0x0A], [0x0A], [0x0D], [0x61], [0x62], [0x20], Array("é".utf8), Array("€".utf8), Array("😀".utf8),
            [0x80], [0xFF],
        ]
        for round in 0..<30 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...200, using: &random) {
                bytes += alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                if Int.random(in: 0..<40, using: &random) == 0 {
                    bytes += [UInt8](repeating: 0x78, count: Int.random(in: 1...30, using: &random))
                }
            }
            let max = Int.random(in: 4...12, using: &random)
            Self.expectReassembles(Self.frame([bytes], max: max), bytes, max: max)
            Self.expectChunkingInvariance(bytes, max: max, seed: UInt64(round))
        }
    }

    /// `frame`, through `feedRuns`: each run is split back into its lines. Also returns
    /// how many runs there were.
    static func frameRuns(_ chunks: [[UInt8]], max: Int, flush: Bool = true) -> (pieces: [FramedPiece], runs: Int) {
        var framer = LineFramer(maxLineBytes: max)
        var pieces: [FramedPiece] = []
        var runs = 0
        for chunk in chunks {
            chunk.withUnsafeBytes { raw in
                framer.feedRuns(raw, run: { run in
                    runs += 1
                    #expect(run.last == 0x0A, "a run ends with a newline")
                    var line: [UInt8] = []
                    for byte in run {
                        if byte == 0x0A {
                            #expect(line.count <= max, "a run holds no line over the limit")
                            pieces.append(FramedPiece(bytes: line))
                            line = []
                        } else {
                            line.append(byte)
                        }
                    }
                }, line: { line in
                    pieces.append(FramedPiece(bytes: Array(line.bytes), line.end, continuation: line.isContinuation))
                })
            }
        }
        if flush {
            framer.flush { pieces.append(FramedPiece(bytes: Array($0.bytes), $0.end, continuation: $0.isContinuation)) }
        }
        return (pieces, runs)
    }

    @Test("runs of whole lines frame exactly as line by line, whatever the chunking and limit")
    func runsMatchLines() {
        var random = SplitMix64(state: 7)
        let alphabet: [[UInt8]] = [[0x0A], [0x0A], [0x61], [0x62], [0x20], Array("é".utf8), Array("😀".utf8), [0x80]]
        for round in 0..<60 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...400, using: &random) {
                bytes += alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                if Int.random(in: 0..<30, using: &random) == 0 {
                    // Now and then a line longer than the limit, inside a chunk.
                    bytes += [UInt8](repeating: 0x78, count: Int.random(in: 1...60, using: &random))
                }
            }
            let max = Int.random(in: 4...40, using: &random)
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...(3 * max + 50), using: &random)
                chunks.append(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            #expect(Self.frameRuns(chunks, max: max).pieces == Self.frame(chunks, max: max), "round \(round), max \(max)")
            #expect(Self.frameRuns([bytes], max: max).pieces == Self.frame([bytes], max: max), "round \(round) whole")
        }
    }

    @Test("a chunk of ordinary lines is one run; a line over the limit ends the run before it")
    func runsAreLarge() {
        let lines = (1...1000).map { "line \($0) of a busy app\n" }.joined()
        let (pieces, runs) = Self.frameRuns([Array(lines.utf8)], max: 64)
        #expect(runs == 1)
        #expect(pieces.count == 1000)
        // A 100-byte line in the middle, with a limit of 64: two runs around its pieces.
        let text = "a\nb\n" + String(repeating: "x", count: 100) + "\nc\nd\n"
        let framed = Self.frameRuns([Array(text.utf8)], max: 64)
        #expect(framed.runs == 2)
        #expect(framed.pieces == [
            FramedPiece("a"), FramedPiece("b"), FramedPiece(String(repeating: "x", count: 64), .cut),
            FramedPiece(String(repeating: "x", count: 36), continuation: true), FramedPiece("c"), FramedPiece("d"),
        ])
    }

    @Test("the newline scans agree with a byte-by-byte look, at every offset")
    func newlineScans() {
        var random = SplitMix64(state: 99)
        for _ in 0..<200 {
            let count = Int.random(in: 0...70, using: &random)
            let density = Int.random(in: 1...20, using: &random)
            let bytes = (0..<count).map { _ -> UInt8 in
                Int.random(in: 0..<density, using: &random) == 0 ? 0x0A : [0x0B, 0x8A, 0x00, 0xFF, 0x61][Int.random(in: 0..<5, using: &random)]
            }
            bytes.withUnsafeBytes { raw in
                for start in 0...count {
                    for end in start...count {
                        let slice = bytes[start..<end]
                        #expect(LineFramer.firstNewline(raw, from: start, to: end) == slice.firstIndex(of: 0x0A))
                        #expect(LineFramer.lastNewline(raw, from: start, to: end) == slice.lastIndex(of: 0x0A))
                    }
                    let rest = UnsafeRawBufferPointer(rebasing: raw[start...])
                    #expect(LineFramer.countNewlines(rest) == bytes[start...].filter { $0 == 0x0A }.count)
                }
            }
        }
    }

    @Test("the reader's splitter: any chunking gives the same lines, never cut; the tail is a line")
    func splitter() {
        var random = SplitMix64(state: 5)
        let text = Array(("short\n\n" + String(repeating: "long ", count: 5000) + "\nlast without newline").utf8)
        let whole = text.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        for _ in 0..<20 {
            var splitter = LineSplitter()
            var lines: [[UInt8]] = []
            var i = 0
            while i < text.count {
                let n = Int.random(in: 1...3000, using: &random)
                text[i..<min(text.count, i + n)].withUnsafeBytes { splitter.feed($0) { lines.append(Array($0)) } }
                i += n
            }
            splitter.finish { lines.append(Array($0)) }
            #expect(lines == whole)
        }
        var splitter = LineSplitter()
        var lines: [String] = []
        Array("dropped start".utf8).withUnsafeBytes { splitter.feed($0) { lines.append(String(decoding: $0, as: UTF8.self)) } }
        splitter.reset()
        Array("new\n".utf8).withUnsafeBytes { splitter.feed($0) { lines.append(String(decoding: $0, as: UTF8.self)) } }
        splitter.finish { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines == ["new"])
    }

    @Test("many lines through one framer, as a busy app writes them")
    func throughput() {
        // 100k lines of 80 bytes in 64 KiB chunks, checked for count and order; this runs
        // in the unit tests' debug build, so it only guards against accidental quadratic
        // behaviour, not a speed.
        let line = Array(String(repeating: "x", count: 79).utf8) + [0x0A]
        var stream: [UInt8] = []
        stream.reserveCapacity(line.count * 100_000)
        for _ in 0..<100_000 { stream += line }
        var framer = LineFramer()
        var count = 0
        var bytes = 0
        stream.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let end = min(raw.count, i + 65_536)
                framer.feed(UnsafeRawBufferPointer(rebasing: raw[i..<end])) { piece in
                    count += 1
                    bytes += piece.bytes.count
                }
                i = end
            }
        }
        #expect(count == 100_000)
        #expect(bytes == 7_900_000)
        #expect(framer.heldByteCount == 0)
    }
}
