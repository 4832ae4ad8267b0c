/// Why Sort-of-CLEVR files could not be written; each case says what was expected, what was found
/// and how to fix it.
public enum SortOfCLEVRError: Error, CustomStringConvertible, Equatable {
    /// The output directory exists and is not an earlier Sort-of-CLEVR dataset (which would be replaced).
    case outputNotEmpty(path: String)
    /// A file or directory could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .outputNotEmpty(path):
            "\(path) already exists and is not a Sort-of-CLEVR dataset (no labels.txt); choose another --out "
                + "directory, or empty or remove this one"
        case let .unwritable(path, reason):
            "cannot write \(path): \(reason); check that the parent directory is writable and has free space"
        }
    }
}
