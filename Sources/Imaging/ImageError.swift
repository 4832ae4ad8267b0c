/// Why an image file could not be read or written; the description says what was expected, what was found
/// and how to fix it.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The bytes are not a PNG image that libpng can decode (truncated, corrupted, or another format).
    case invalidPNG(path: String, reason: String)
    /// The bytes are not a JPEG image that libjpeg-turbo decodes without complaint (truncated, corrupted, or
    /// another format).
    case invalidJPEG(path: String, reason: String)
    /// The bytes start like neither a PNG nor a JPEG file; `found` is their first (up to 8) bytes in hex.
    case unsupportedFormat(path: String, found: String)
    /// The header declares a side longer than the caller accepts.
    case tooLarge(path: String, width: Int, height: Int, maxSide: Int)
    /// The image could not be encoded or the file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read image \(path): \(reason); check that the file exists and is readable"
        case let .invalidPNG(path, reason):
            "\(path) is not a valid PNG image (expected a complete PNG file; libpng says: \(reason)); "
                + "the file may be truncated or in another format: regenerate or re-export it as PNG"
        case let .invalidJPEG(path, reason):
            "\(path) is not a valid JPEG image (expected a complete JPEG file; libjpeg-turbo says: \(reason)); "
                + "the file may be truncated or in another format: regenerate or re-export it as JPEG"
        case let .unsupportedFormat(path, found):
            "\(path) is neither a PNG nor a JPEG image ("
                + (found.isEmpty ? "the file is empty" : "starts with bytes \(found)") + "); convert it to PNG or JPEG"
        case let .tooLarge(path, width, height, maxSide):
            "\(path) is \(width)×\(height) pixels; at most \(maxSide) pixels a side are accepted: downscale it first"
        case let .unwritable(path, reason):
            "cannot write image \(path): \(reason); check that the directory exists, is writable and has free space"
        }
    }
}
