import Foundation

/// A JSONL manifest parsed a chunk of bytes at a time: each complete line becomes its entry as soon as it
/// arrives, so a file of any length is read once, never held whole, and hashed on the way (its key). Lines end
/// with LF or CRLF; a UTF-8 byte order mark is skipped; blank lines are skipped but counted, so errors name the
/// line a text editor shows.
struct JSONLinesReader {
    private(set) var entries: [ManifestEntry] = []
    private var key = FeatureCache.ContentKey()
    private var pending = Data()
    private var lineNumber = 0, started = false
    private let path: String, directory: URL

    /// Lines of the file at `path`, whose image paths resolve against `directory`.
    init(path: String, directory: URL) {
        (self.path, self.directory) = (path, directory)
    }

    /// Reads the file at `url` in chunks of `chunkSize` bytes.
    static func read(_ url: URL, chunkSize: Int = 1 << 20) throws -> (entries: [ManifestEntry], key: String) {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ManifestError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        defer { try? handle.close() }
        var reader = JSONLinesReader(path: url.path, directory: url.deletingLastPathComponent())
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw ManifestError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
            }
            if chunk.isEmpty { break }
            try reader.add(chunk)
        }
        return try reader.finish()
    }

    /// Parses the complete lines of what has arrived.
    mutating func add(_ chunk: Data) throws {
        key.add(chunk)
        pending += chunk
        if pending.count >= 3 { try parseLines() }
    }

    /// Parses the last line (one without a line end) and returns the entries and the file's key.
    mutating func finish() throws -> (entries: [ManifestEntry], key: String) {
        try parseLines()
        if !pending.isEmpty { try parse(pending) }
        pending = Data()
        guard !entries.isEmpty else { throw ManifestError.empty(path: path) }
        return (entries, key.value)
    }

    private mutating func parseLines() throws {
        if !started {
            started = true
            if pending.starts(with: [0xEF, 0xBB, 0xBF]) { pending.removeFirst(3) }
        }
        var start = pending.startIndex
        while let end = pending[start...].firstIndex(of: 0x0A) {
            try parse(pending[start..<end])
            start = end + 1
        }
        pending = Data(pending[start...])
    }

    private mutating func parse(_ raw: Data) throws {
        lineNumber += 1
        let line = raw.last == 0x0D ? raw.dropLast() : raw
        guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw ManifestError.notJSON(path: path, line: lineNumber, found: String(decoding: line, as: UTF8.self))
        }
        var fields: [String: String?] = [:]
        for name in Manifest.fieldNames {
            guard let value = object[name] else { continue }
            if value is NSNull { continue }
            guard let string = value as? String else {
                throw ManifestError.wrongType(path: path, line: lineNumber, field: name, found: Self.describe(value))
            }
            fields[name] = string
        }
        entries.append(try Manifest.entry(line: lineNumber, fields: fields, format: .jsonl, path: path, directory: directory))
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case is NSNumber: "the number \(value)"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "\(value)"
        }
    }
}
