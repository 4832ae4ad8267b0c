import Foundation
import Tensors

/// Image files in either supported format, recognised by their first bytes (not by the file name's extension).
public enum ImageFile {
    /// Reads a PNG or JPEG file as 8-bit RGB.
    public static func read(_ url: URL) throws -> RGBImage { try decode(try contents(of: url), path: url.path) }

    /// The bytes of an image file; `ImageError.unreadable` saying why when it cannot be read.
    public static func contents(of url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw ImageError.unreadable(path: url.path, reason: fileErrorReason(error, url: url))
        }
    }

    /// Decodes PNG or JPEG bytes as 8-bit RGB, by their signature (`path` only names the source in errors); an
    /// image wider or taller than `maxSide` is refused from its header (`ImageError.tooLarge`).
    public static func decode(_ data: Data, path: String, maxSide: Int = 1 << 15) throws -> RGBImage {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try PNG.decode(data, path: path, maxSide: maxSide) }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEG.decode(data, path: path, maxSide: maxSide) }
        let found = data.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
        throw ImageError.unsupportedFormat(path: path, found: found)
    }
}
