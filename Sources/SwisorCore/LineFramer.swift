/// Cuts the bytes of one output stream (an app's stdout or stderr pipe, read in chunks of
/// any size) into lines, so that each line can get its own time stamp or JSON record and
/// the out and error streams can share a combined file without mixing within a line.
///
/// Only `\n` ends a line; a `\r` before it is part of the line (a CRLF line keeps its
/// `\r`), as are NUL bytes and invalid UTF-8. Lines are handed to the caller as views into
/// the chunk being fed whenever the chunk holds the whole line, which is the common case:
/// only the start of a line that a chunk boundary splits is copied (into one buffer that
/// is reused), so a chatty app costs no allocation per line.
///
/// A line longer than `maxLineBytes` is handed over in pieces of at most that size, so that
/// memory stays bounded whatever the app writes (a binary blob, a progress bar redrawn with
/// `\r` and never a `\n`). A cut never splits a UTF-8 sequence: it backs off (by up to
/// three bytes) to the start of the character that would be split.
public struct LineFramer: Sendable {
    /// 16 KiB, Docker's limit for a log message, above which its json-file driver splits a
    /// line into partial messages too: longer than any human-readable line, and small enough
    /// that a few hundred apps each holding a partial line cost a few MiB at most.
    public static let defaultMaxLineBytes = 16 * 1024

    /// One line, or one piece of a line longer than `maxLineBytes`.
    ///
    /// `bytes` points into the chunk being fed or into the framer's own buffer, and is valid
    /// only during the call that hands it over: copy what must outlive it.
    public struct Line {
        public enum End: Sendable, Equatable {
            /// A `\n` followed (it is not in `bytes`).
            case newline
            /// The line was longer than `maxLineBytes`: the next piece continues it.
            case cut
            /// The stream ended (`flush()`) before a `\n`.
            case endOfInput
        }

        /// The line's bytes, without the `\n`.
        public var bytes: UnsafeRawBufferPointer
        public var end: End
        /// True when this piece continues a line whose previous piece was cut, so a writer
        /// that prefixes lines can leave it unprefixed and keep the line whole.
        public var isContinuation: Bool

        public init(bytes: UnsafeRawBufferPointer, end: End, isContinuation: Bool) {
            self.bytes = bytes
            self.end = end
            self.isContinuation = isContinuation
        }

        public var isCut: Bool { end == .cut }
        public var hasNewline: Bool { end == .newline }
    }

    /// The longest piece handed over; at least 4, so that backing off to a character
    /// boundary always leaves something to hand over.
    public let maxLineBytes: Int
    /// The start of a line whose end has not arrived yet (never more than `maxLineBytes`).
    private var held: [UInt8] = []
    /// The last piece handed over was cut.
    private var continuing = false

    public init(maxLineBytes: Int = LineFramer.defaultMaxLineBytes) {
        precondition(maxLineBytes >= 4, "maxLineBytes must be at least 4")
        self.maxLineBytes = maxLineBytes
    }

    /// How many bytes of an unfinished line are held, waiting for its `\n`.
    public var heldByteCount: Int { held.count }

    /// Feeds the next chunk of the stream and hands over, in order, every line and piece it
    /// completes. What remains of an unfinished line is kept for the next call.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ emit: (Line) -> Void) {
        var p = 0
        while p < chunk.count {
            p = step(chunk, from: p, emit)
        }
    }

    /// Hands over the next line or piece that starts at `p` (or holds the rest of the
    /// chunk); returns where the next one starts.
    private mutating func step(_ chunk: UnsafeRawBufferPointer, from p: Int, _ emit: (Line) -> Void) -> Int {
        let count = chunk.count
        if held.isEmpty {
            // The line starts in this chunk: look for its end among the next
            // maxLineBytes + 1 bytes (a `\n` right after a full-size line still ends it).
            let window = min(count, p + maxLineBytes + 1)
            if let newline = Self.firstNewline(chunk, from: p, to: window) {
                emit(take(UnsafeRawBufferPointer(rebasing: chunk[p..<newline]), .newline))
                return newline + 1
            }
            if window - p == maxLineBytes + 1 {
                let piece = UnsafeRawBufferPointer(rebasing: chunk[p..<(p + maxLineBytes)])
                let length = Self.cutLength(piece, next: chunk[p + maxLineBytes])
                emit(take(UnsafeRawBufferPointer(rebasing: chunk[p..<(p + length)]), .cut))
                return p + length
            }
            held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<count]))
            return count
        }
        // The line started in an earlier chunk: it can take `room` more bytes.
        let room = maxLineBytes - held.count
        let window = min(count, p + room + 1)
        if let newline = Self.firstNewline(chunk, from: p, to: window) {
            held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<newline]))
            emitHeld(length: held.count, .newline, emit)
            return newline + 1
        }
        if window - p == room + 1 {
            held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<(p + room)]))
            let length = held.withUnsafeBytes { Self.cutLength($0, next: chunk[p + room]) }
            emitHeld(length: length, .cut, emit)
            return p + room
        }
        held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<count]))
        return count
    }

    /// `feed` for writers that copy lines unchanged (the plain format): each run of whole
    /// lines in the chunk (every one ending with its `\n`, none longer than `maxLineBytes`,
    /// none continuing a cut line) is handed to `run` as one buffer, `\n`s included;
    /// everything else (the end of a line held from an earlier chunk, the pieces of an
    /// over-long line, the start of an unfinished one) is handled as `feed` does.
    ///
    /// A chatty app's chunk is mostly whole lines: a writer gets it in one call instead of
    /// one per line, and the bytes are not even looked at one by one (`wholeLinesEnd`).
    public mutating func feedRuns(
        _ chunk: UnsafeRawBufferPointer, run: (UnsafeRawBufferPointer) -> Void, line emit: (Line) -> Void
    ) {
        var p = 0
        while p < chunk.count {
            if held.isEmpty && !continuing {
                let end = wholeLinesEnd(chunk, from: p)
                if end > p {
                    run(UnsafeRawBufferPointer(rebasing: chunk[p..<end]))
                    p = end
                    continue
                }
            }
            p = step(chunk, from: p, emit)
        }
    }

    /// Where the run of whole lines that starts at `start` ends: after the chunk's last
    /// `\n`, unless a line before it is longer than `maxLineBytes`, then after the last
    /// line before that one.
    ///
    /// Proving that no line is too long needs no look at every byte: a line longer than
    /// `maxLineBytes` covers a whole block of `maxLineBytes / 2` bytes (blocks counted from
    /// `start`), so a `\n` in each block is enough, and is found within a line's length of
    /// the block's start. Only a chunk that fails the test is scanned line by line.
    func wholeLinesEnd(_ chunk: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let last = Self.lastNewline(chunk, from: start, to: chunk.count) else { return start }
        let end = last + 1
        let block = maxLineBytes / 2
        var b = start
        while b + block <= end {
            guard Self.firstNewline(chunk, from: b, to: b + block) != nil else {
                var q = start
                while let newline = Self.firstNewline(chunk, from: q, to: min(end, q + maxLineBytes + 1)) {
                    q = newline + 1
                }
                return q
            }
            b += block
        }
        return end
    }

    /// `feed` for bytes in an array.
    public mutating func feed(_ chunk: [UInt8], _ emit: (Line) -> Void) {
        chunk.withUnsafeBytes { feed($0, emit) }
    }

    /// At the end of the stream: hands over a held unfinished line, marked `.endOfInput`.
    public mutating func flush(_ emit: (Line) -> Void) {
        if !held.isEmpty {
            emitHeld(length: held.count, .endOfInput, emit)
        }
        continuing = false
    }

    // MARK: Helpers

    private mutating func take(_ bytes: UnsafeRawBufferPointer, _ end: Line.End) -> Line {
        defer { continuing = end == .cut }
        return Line(bytes: bytes, end: end, isContinuation: continuing)
    }

    /// Hands over the first `length` held bytes and keeps the rest (at most the three bytes
    /// of a character that a cut would have split).
    private mutating func emitHeld(length: Int, _ end: Line.End, _ emit: (Line) -> Void) {
        let isContinuation = continuing
        continuing = end == .cut
        held.withUnsafeBytes { all in
            emit(
                Line(bytes: UnsafeRawBufferPointer(rebasing: all[0..<length]), end: end, isContinuation: isContinuation)
            )
        }
        held.removeSubrange(0..<length)
    }

    /// Where a piece of `maxLineBytes` bytes, followed by the byte `next`, may be cut: at its
    /// end, unless the character that `next` continues started in the piece, then before
    /// that character. A UTF-8 lead byte is 0b11xxxxxx and says how long its sequence is;
    /// continuation bytes are 0b10xxxxxx, at most three of them per character. Bytes that
    /// are not UTF-8 (a run of continuation bytes, a sequence already complete) are cut at
    /// the full size.
    static func cutLength(_ piece: UnsafeRawBufferPointer, next: UInt8) -> Int {
        func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
        guard isContinuation(next) else { return piece.count }
        var lead = piece.count - 1
        while lead >= 0, piece.count - lead <= 3, isContinuation(piece[lead]) { lead -= 1 }
        guard lead > 0, piece.count - lead <= 3 else { return piece.count }
        let length: Int
        switch piece[lead] {
        case 0xC0...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF7: length = 4
        default: length = 1  // ASCII or not a lead byte: `next` continues nothing here
        }
        return lead + length > piece.count ? lead : piece.count
    }

    /// How many `\n` the bytes hold.
    public static func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var n = 0
        var i = 0
        while i + 8 <= bytes.count {
            n += newlineBytes(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)).nonzeroBitCount
            i += 8
        }
        while i < bytes.count {
            if base.load(fromByteOffset: i, as: UInt8.self) == 0x0A { n += 1 }
            i += 1
        }
        return n
    }

    /// The last `\n` in `chunk[start..<end]`.
    public static func lastNewline(_ chunk: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard let base = chunk.baseAddress else { return nil }
        var i = end
        while i - 8 >= start {
            let zeros = newlineBytes(base.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self))
            if zeros != 0 {
                // The highest flagged byte is the last in memory.
                return i - 1 - UInt64(littleEndian: zeros).leadingZeroBitCount >> 3
            }
            i -= 8
        }
        while i > start {
            i -= 1
            if base.load(fromByteOffset: i, as: UInt8.self) == 0x0A { return i }
        }
        return nil
    }

    /// The high bit of each byte of the result is set exactly where a byte of `word` is a
    /// `\n`: bytes equal to `\n` become zero, and zero bytes are found with no carry from
    /// one byte into the next (unlike the shorter `(x - 0x01...) & ~x` test), so every
    /// flag is a newline, not only the first.
    @inline(__always)
    static func newlineBytes(_ word: UInt64) -> UInt64 {
        let x = word ^ 0x0A0A_0A0A_0A0A_0A0A
        let low7 = UInt64(0x7F7F_7F7F_7F7F_7F7F)
        return ~(((x & low7) &+ low7) | x | low7)
    }

    /// The first `\n` in `chunk[start..<end]`. Eight bytes at a time: this is the writer's
    /// inner loop, run over every byte an app writes (a byte at a time it cost more than
    /// the kernel's copy of the same bytes into the file).
    public static func firstNewline(_ chunk: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard let base = chunk.baseAddress else { return nil }
        var i = start
        while i + 8 <= end {
            let zeros = newlineBytes(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if zeros != 0 {
                // Little-endian: the first byte in memory is the lowest.
                return i + UInt64(littleEndian: zeros).trailingZeroBitCount >> 3
            }
            i += 8
        }
        while i < end {
            if base.load(fromByteOffset: i, as: UInt8.self) == 0x0A { return i }
            i += 1
        }
        return nil
    }
}

/// Cuts bytes read in chunks into lines, for readers of log files (`swisor logs`): unlike
/// `LineFramer`, a line is never cut, whatever its length. A line is handed over as a view
/// into the chunk when the chunk holds all of it; only a line split across chunks is
/// copied.
public struct LineSplitter: Sendable {
    /// The start of a line whose `\n` has not come yet.
    private var carry: [UInt8] = []

    public init() {}

    /// Hands over every line (without its `\n`) that `bytes` completes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var lineStart = 0
        while let newline = LineFramer.firstNewline(bytes, from: lineStart, to: bytes.count) {
            if carry.isEmpty {
                body(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<newline]))
            } else {
                carry.append(contentsOf: bytes[lineStart..<newline])
                carry.withUnsafeBytes(body)
                carry.removeAll(keepingCapacity: true)
            }
            lineStart = newline + 1
        }
        carry.append(contentsOf: bytes[lineStart...])
    }

    /// At the end of the input: the bytes after the last `\n` are a line too.
    public mutating func finish(_ body: (UnsafeRawBufferPointer) -> Void) {
        if !carry.isEmpty { carry.withUnsafeBytes(body) }
        carry = []
    }

    /// Forgets an unfinished line (the file it was in was truncated).
    public mutating func reset() {
        carry.removeAll(keepingCapacity: true)
    }
}
