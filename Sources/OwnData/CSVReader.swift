/// An RFC 4180 CSV reader (quoted fields with doubled quotes, commas and line breaks inside quotes, CRLF or LF)
/// that keeps the line each record starts on, so errors can name it. Written by hand because the CSV packages
/// available here report rows, not lines.
enum CSVReader {
    /// Every record with its 1-based starting line. Throws `ManifestError.csvRecord` for a quote that is never
    /// closed or text after a closing quote.
    static func rows(_ text: String, path: String) throws -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = []
        var fields: [String] = [], field = "", quoted = false, afterQuote = false
        var line = 1, recordLine = 1, quoteLine = 1
        var chars = text.makeIterator()
        var pending: Character? = chars.next()
        func endRecord() {
            fields.append(field)
            rows.append((recordLine, fields))
            (fields, field, afterQuote) = ([], "", false)
        }
        while let c = pending {
            pending = chars.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" { field.append("\""); pending = chars.next() } else { quoted = false; afterQuote = true }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case ",":
                fields.append(field)
                (field, afterQuote) = ("", false)
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !afterQuote:
                quoted = true
                quoteLine = line
            default:
                guard !afterQuote else {
                    throw ManifestError.csvRecord(path: path, line: line, reason: "text after a closing quote")
                }
                if c == "\"" {
                    throw ManifestError.csvRecord(path: path, line: line, reason: "a quote inside an unquoted field")
                }
                field.append(c)
            }
        }
        if quoted { throw ManifestError.csvRecord(path: path, line: quoteLine, reason: "a quote that is never closed") }
        if !field.isEmpty || !fields.isEmpty || afterQuote { endRecord() }
        return rows
    }
}
