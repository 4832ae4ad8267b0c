import Foundation

/// Texts to embed, read from a file of plain lines (one text per line) or JSON Lines (one object per line
/// with a string field, or one JSON string per line).
public enum TextInput {
    /// How a file holds its texts.
    public enum Format: String, CaseIterable, Sendable {
        case lines, jsonl
    }

    /// The format a file name suggests: `.jsonl`/`.ndjson` are JSON Lines, anything else plain lines.
    public static func format(for url: URL) -> Format {
        ["jsonl", "ndjson"].contains(url.pathExtension.lowercased()) ? .jsonl : .lines
    }

    /// The texts of `url`. Plain lines: every line is one text (a final newline does not add an empty text;
    /// `\r\n` endings are accepted). JSON Lines: blank lines are skipped, every other line must be a JSON
    /// string or an object whose `textKey` field is a string, else `EncoderError.badInput` names the line.
    public static func read(_ url: URL, format: Format? = nil, textKey: String = "text") throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EncoderError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        guard let content = String(data: data, encoding: .utf8) else {
            throw EncoderError.unreadable(path: url.path, reason: "the file is not valid UTF-8 text")
        }
        var lines = content.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if lines.last?.isEmpty == true { lines.removeLast() }
        switch format ?? Self.format(for: url) {
        case .lines:
            return lines.map(String.init)
        case .jsonl:
            var texts: [String] = []
            for (i, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
                let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
                if let s = value as? String {
                    texts.append(s)
                } else if let object = value as? [String: Any], let s = object[textKey] as? String {
                    texts.append(s)
                } else {
                    throw EncoderError.badInput(
                        path: url.path, line: i + 1,
                        reason: "expected a JSON string or an object with a string field \"\(textKey)\", found: \(line.prefix(80))")
                }
            }
            return texts
        }
    }
}
