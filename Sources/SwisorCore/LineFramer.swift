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
        let count = chunk.count
        var p = 0
        while p < count {
            if held.isEmpty {
                // The line starts in this chunk: look for its end among the next
                // maxLineBytes + 1 bytes (a `\n` right after a full-size line still ends it).
                let window = min(count, p + maxLineBytes + 1)
                if let newline = Self.firstNewline(chunk, from: p, to: window) {
                    emit(take(UnsafeRawBufferPointer(rebasing: chunk[p..<newline]), .newline))
                    p = newline + 1
                } else if window - p == maxLineBytes + 1 {
                    let piece = UnsafeRawBufferPointer(rebasing: chunk[p..<(p + maxLineBytes)])
                    let length = Self.cutLength(piece, next: chunk[p + maxLineBytes])
                    emit(take(UnsafeRawBufferPointer(rebasing: chunk[p..<(p + length)]), .cut))
                    p += length
                } else {
                    held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<count]))
                    p = count
                }
            } else {
                // The line started in an earlier chunk: it can take `room` more bytes.
                let room = maxLineBytes - held.count
                let window = min(count, p + room + 1)
                if let newline = Self.firstNewline(chunk, from: p, to: window) {
                    held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<newline]))
                    emitHeld(length: held.count, .newline, emit)
                    p = newline + 1
                } else if window - p == room + 1 {
                    held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<(p + room)]))
                    p += room
                    let length = held.withUnsafeBytes { Self.cutLength($0, next: chunk[p]) }
                    emitHeld(length: length, .cut, emit)
                } else {
                    held.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[p..<count]))
                    p = count
                }
            }
        }
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

    static func firstNewline(_ chunk: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var i = start
        while i < end {
            if chunk[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }
}
