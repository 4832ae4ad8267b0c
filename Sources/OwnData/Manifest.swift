import Foundation
import Imaging

/// One example of a data set manifest.
public struct ManifestEntry: Equatable, Sendable {
    /// 1-based line of the example in its file (for CSV, the line its record starts on).
    public var line: Int
    /// The image path as written in the manifest.
    public var image: String
    /// The image path resolved against the manifest's directory (absolute paths are kept).
    public var imageURL: URL
    public var text: String
    /// The answer or class (classification); nil for image–text pairs.
    public var label: String?
    /// An optional group that evaluation reports separately (e.g. a question type). "a/b" is group "b" inside
    /// group "a": evaluation reports both levels.
    public var group: String?
    /// The image itself, for data generated in memory (then `imageURL` only names it and is never read).
    public var pixels: RGBImage?

    public init(line: Int, image: String, imageURL: URL, text: String, label: String? = nil, group: String? = nil,
                pixels: RGBImage? = nil) {
        (self.line, self.image, self.imageURL, self.text, self.label, self.group) = (line, image, imageURL, text, label, group)
        self.pixels = pixels
    }
}

/// A data set manifest: JSONL lines `{"image": "rel/path.png", "text": "…", "label": "…", "group": "…"}`, or a
/// CSV file with a header naming the same columns. `image` and `text` are required; `label` (classification)
/// and `group` are optional; other fields are ignored. Image paths are relative to the manifest's directory.
/// A data source that generates its examples (a task's scene generator) builds a manifest in memory, its
/// images in `ManifestEntry.pixels`: every data set reaches training, evaluation and bundles this one way.
public struct Manifest: Sendable {
    /// The two file formats.
    public enum Format: String, Sendable { case jsonl, csv }

    /// The file, or for generated data a name for it (used in messages and logs, never read).
    public let url: URL
    public let entries: [ManifestEntry]
    /// What the data is, for model bundles: the file's path, or a generator and its settings.
    public let name: String
    /// Same key, same data (`FeatureCache.key` of the file's bytes, or of the generator's settings): a resumed
    /// run must train on the data it started with.
    public let key: String

    /// A manifest of `entries`; `name` defaults to the path of `url` and `key` to a hash of the name.
    public init(url: URL, entries: [ManifestEntry], name: String? = nil, key: String? = nil) {
        (self.url, self.entries) = (url, entries)
        self.name = name ?? url.path
        self.key = key ?? FeatureCache.key(Data((name ?? url.path).utf8))
    }

    /// Reads and parses `url`; the format is CSV for a `.csv` file and JSONL otherwise. JSONL is read as a
    /// stream, a line at a time, so a manifest of millions of lines is never held whole.
    public static func load(_ url: URL) throws -> Manifest {
        if url.pathExtension.lowercased() != "csv" {
            let (entries, key) = try JSONLinesReader.read(url)
            return Manifest(url: url, entries: entries, key: key)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ManifestError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return Manifest(url: url, entries: try parse(data, format: .csv, path: url.path, directory: url.deletingLastPathComponent()),
                        key: FeatureCache.key(data))
    }

    /// Parses manifest bytes (`path` names the file in errors; image paths resolve against `directory`).
    /// Throws a `ManifestError` naming the first bad line.
    public static func parse(_ data: Data, format: Format, path: String, directory: URL) throws -> [ManifestEntry] {
        if format == .jsonl {
            var reader = JSONLinesReader(path: path, directory: directory)
            try reader.add(data)
            return try reader.finish().entries
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let entries = try csvRecords(text, path: path).map { line, fields in
            try entry(line: line, fields: fields, format: format, path: path, directory: directory)
        }
        guard !entries.isEmpty else { throw ManifestError.empty(path: path) }
        return entries
    }

    /// The entry of one record's known fields (a string each, nil when absent); `image` and `text` must be
    /// there and not blank.
    static func entry(line: Int, fields: [String: String?], format: Format, path: String, directory: URL) throws -> ManifestEntry {
        func field(_ name: String, required: Bool) throws -> String? {
            guard let value = fields[name] ?? nil else {
                if required { throw ManifestError.missingField(path: path, line: line, field: name) }
                return nil
            }
            guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                if required || format == .jsonl { throw ManifestError.emptyField(path: path, line: line, field: name) }
                return nil
            }
            return value
        }
        let image = try field("image", required: true)!
        let url = image.hasPrefix("/") ? URL(fileURLWithPath: image) : directory.appendingPathComponent(image)
        return ManifestEntry(line: line, image: image, imageURL: url.standardizedFileURL, text: try field("text", required: true)!,
                             label: try field("label", required: false), group: try field("group", required: false))
    }

    /// Writes `entries` as JSONL to `url` atomically, with image paths as given (relative to `url`'s directory).
    public static func write(_ entries: [ManifestEntry], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for e in entries {
            var record = ["image": e.image, "text": e.text]
            record["label"] = e.label
            record["group"] = e.group
            out += try encoder.encode(record) + Data("\n".utf8)
        }
        try out.write(to: url, options: .atomic)
    }

    /// The fields a manifest line is read for; other keys are ignored.
    static let fieldNames = ["image", "text", "label", "group"]

    /// RFC 4180 records after the header, each with its starting line and its fields by header name.
    private static func csvRecords(_ text: String, path: String) throws -> [(Int, [String: String?])] {
        let rows = try CSVReader.rows(text, path: path)
        guard let (_, header) = rows.first else { throw ManifestError.empty(path: path) }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for required in ["image", "text"] where !names.contains(required) {
            throw ManifestError.csvHeader(path: path, found: header, missing: required)
        }
        return try rows.dropFirst().compactMap { line, values in
            if values.count == 1 && values[0].isEmpty { return nil }  // a blank line
            guard values.count == names.count else {
                throw ManifestError.csvRecord(path: path, line: line, reason: "expected \(names.count) fields as in the header, found \(values.count)")
            }
            var fields: [String: String?] = [:]
            for (name, value) in zip(names, values) where fieldNames.contains(name) { fields[name] = value }
            return (line, fields)
        }
    }
}
