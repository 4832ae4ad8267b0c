/// Why a data set manifest or one of its images could not be used; each case names the file and line, says
/// what was expected and what was found, and how to fix it.
public enum ManifestError: Error, CustomStringConvertible, Equatable {
    /// The manifest file could not be read.
    case unreadable(path: String, reason: String)
    /// A JSONL line that is not a JSON object.
    case notJSON(path: String, line: Int, found: String)
    /// A line without a required field (`image`, `text`, or `label` for classification).
    case missingField(path: String, line: Int, field: String)
    /// A field that is not a string.
    case wrongType(path: String, line: Int, field: String, found: String)
    /// A field that is empty or only white space.
    case emptyField(path: String, line: Int, field: String)
    /// A CSV file whose header lacks a required column.
    case csvHeader(path: String, found: [String], missing: String)
    /// A CSV record that cannot be split into the header's columns.
    case csvRecord(path: String, line: Int, reason: String)
    /// A manifest with no examples.
    case empty(path: String)
    /// An image that could not be read or decoded.
    case badImage(path: String, line: Int, image: String, reason: String)
    /// Every example was skipped (`--skip-bad`) because of bad images.
    case nothingLeft(path: String, skipped: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read manifest \(path): \(reason); check the path given to --data / --val"
        case let .notJSON(path, line, found):
            "\(path) line \(line): expected a JSON object such as {\"image\": \"images/0001.png\", \"text\": \"…\", "
                + "\"label\": \"…\"}, found \(found.prefix(80).debugDescription); fix or remove that line"
        case let .missingField(path, line, field):
            "\(path) line \(line): no \"\(field)\" field; every line needs \"image\" and \"text\""
                + (field == "label" ? ", and --task classify needs a \"label\" on every line (or train with --task match)" : "")
        case let .wrongType(path, line, field, found):
            "\(path) line \(line): \"\(field)\" must be a string, found \(found); quote the value"
        case let .emptyField(path, line, field):
            "\(path) line \(line): \"\(field)\" is empty; give it a value or remove the line"
        case let .csvHeader(path, found, missing):
            "\(path): the CSV header \(found) has no \"\(missing)\" column; the first row must name the columns, "
                + "e.g. image,text,label"
        case let .csvRecord(path, line, reason):
            "\(path) line \(line): \(reason); quote fields that contain commas, quotes or line breaks (\"a, b\"), "
                + "doubling quotes inside them (\"say \"\"hi\"\"\")"
        case let .empty(path):
            "\(path) holds no examples; add lines such as {\"image\": \"images/0001.png\", \"text\": \"…\"}"
        case let .badImage(path, line, image, reason):
            "\(path) line \(line): image \(image) cannot be used: \(reason); fix or remove that line, or pass "
                + "--skip-bad to skip such lines and count them"
        case let .nothingLeft(path, skipped):
            "\(path): all \(skipped) examples were skipped because their images cannot be read; check the image paths "
                + "(they are relative to the manifest's directory)"
        }
    }
}
