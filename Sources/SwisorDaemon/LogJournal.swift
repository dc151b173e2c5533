import SwisorCore
import SwisorSystem
import SwisorSystemd

// The journald sink: with log_type "journal" a sink sends each line to the journal
// (LogSink.emit) and falls back to its files when the journal is missing or a send fails.

/// The constant fields of an instance's journal entries.
struct JournalFields {
    let identifier: [UInt8]
    let extra: [[UInt8]]
    static let priorityOut = Array("PRIORITY=6".utf8)
    static let priorityErr = Array("PRIORITY=3".utf8)
    static let streamOut = Array("SWISOR_STREAM=out".utf8)
    static let streamErr = Array("SWISOR_STREAM=err".utf8)
    static let cut = Array("SWISOR_CUT=1".utf8)

    init(_ c: LogSinkConfig, id: Int) {
        identifier = Array("SYSLOG_IDENTIFIER=\(c.app)".utf8)
        extra = [
            Array("SWISOR_APP_NAME=\(c.app)".utf8), Array("SWISOR_APP_ID=\(id)".utf8),
            Array("SWISOR_INSTANCE=\(c.index)".utf8),
        ]
    }

    /// One entry per line (or piece of a cut line, marked SWISOR_CUT=1).
    func send(_ line: LineFramer.Line, _ stream: LogStream) -> SystemError? {
        var message = Array("MESSAGE=".utf8)
        message.append(contentsOf: line.bytes)
        var fields = [message, stream == .out ? JournalFields.priorityOut : JournalFields.priorityErr, identifier,
                      stream == .out ? JournalFields.streamOut : JournalFields.streamErr]
        fields.append(contentsOf: extra)
        if line.isCut { fields.append(JournalFields.cut) }
        return Journal.send(fields)
    }
}
