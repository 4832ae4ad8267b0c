/// Why an image file could not be read or written; the description says what was expected, what was found
/// and how to fix it.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The bytes are not a PNG image that libpng can decode (truncated, corrupted, or another format).
    case invalidPNG(path: String, reason: String)
    /// The image could not be encoded or the file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read image \(path): \(reason); check that the file exists and is readable"
        case let .invalidPNG(path, reason):
            "\(path) is not a valid PNG image (expected a complete PNG file; libpng says: \(reason)); "
                + "the file may be truncated or in another format: regenerate or re-export it as PNG"
        case let .unwritable(path, reason):
            "cannot write image \(path): \(reason); check that the directory exists, is writable and has free space"
        }
    }
}
