/// Why Sort-of-CLEVR files could not be written or read; each case says what was expected, what was found
/// and how to fix it.
public enum SortOfCLEVRError: Error, CustomStringConvertible, Equatable {
    /// The output directory exists and is not an earlier Sort-of-CLEVR dataset (which would be replaced).
    case outputNotEmpty(path: String)
    /// A file or directory could not be written.
    case unwritable(path: String, reason: String)
    /// A dataset file is missing or malformed.
    case invalidDataset(path: String, reason: String)
    /// A question whose text a frozen text encoder has no features for.
    case unknownText(String)

    public var description: String {
        switch self {
        case let .outputNotEmpty(path):
            "\(path) already exists and is not a Sort-of-CLEVR dataset (no vocab.json); choose another --out "
                + "directory, or empty or remove this one"
        case let .unwritable(path, reason):
            "cannot write \(path): \(reason); check that the parent directory is writable and has free space"
        case let .invalidDataset(path, reason):
            "\(path) is not a valid Sort-of-CLEVR dataset file: \(reason); regenerate it with "
                + "`crossmodal sort-of-clevr generate --out DIR`"
        case let .unknownText(text):
            "no frozen text features for \"\(text)\"; the features are computed for the fixed Sort-of-CLEVR question "
                + "templates — regenerate the data with this version's generator"
        }
    }
}
