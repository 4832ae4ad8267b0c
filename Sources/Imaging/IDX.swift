import Foundation

/// An IDX file (the MNIST / Fashion-MNIST format): a big-endian header — two zero bytes, a type code, the
/// number of dimensions, then each dimension as a 32-bit size — followed by the values, row-major. Only
/// unsigned bytes (type 0x08), the type of every (Fashion-)MNIST file, are supported. Files may be gzip'd
/// (as Debian's `dataset-fashion-mnist` installs them); that is detected from the magic bytes.
public struct IDX: Equatable, Sendable {
    /// Dimension sizes, e.g. [10000, 28, 28] for images or [10000] for labels.
    public let shape: [Int]
    /// The values, row-major (`shape` product bytes).
    public let bytes: [UInt8]

    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count, "IDX: \(bytes.count) bytes for shape \(shape)")
        (self.shape, self.bytes) = (shape, bytes)
    }

    /// Reads an IDX file, gzip'd or not.
    public static func read(_ url: URL) throws -> IDX {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw IDXError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try parse(Gzip.isCompressed(data) ? Gzip.decompress(data, path: url.path) : data, path: url.path)
    }

    /// Parses uncompressed IDX bytes; every size the header claims is checked against the bytes present
    /// before anything is allocated. `path` only names the source in errors.
    public static func parse(_ data: Data, path: String = "<memory>") throws -> IDX {
        let d = [UInt8](data.prefix(4 + 4 * 255))
        guard d.count >= 4 else { throw IDXError.truncated(path: path, expected: 4, found: data.count, what: "the 4-byte magic number") }
        guard d[0] == 0, d[1] == 0 else {
            throw IDXError.badMagic(path: path, found: Array(d[0..<4]))
        }
        guard d[2] == 0x08 else { throw IDXError.unsupportedType(path: path, code: d[2]) }
        let rank = Int(d[3])
        guard rank >= 1 else { throw IDXError.badMagic(path: path, found: Array(d[0..<4])) }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw IDXError.truncated(path: path, expected: headerSize, found: data.count, what: "a header with \(rank) dimension sizes")
        }
        var shape: [Int] = []
        var count = 1
        for i in 0..<rank {
            let o = 4 + 4 * i
            let size = Int(d[o]) << 24 | Int(d[o + 1]) << 16 | Int(d[o + 2]) << 8 | Int(d[o + 3])
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            // Checked per dimension, so the running product stays below the file size (no overflow on the way).
            guard !overflow, product <= data.count - headerSize else {
                throw IDXError.truncated(path: path, expected: overflow ? Int.max : headerSize + product, found: data.count,
                                         what: "the values of shape \(shape + [size])\(i + 1 < rank ? "…" : "")")
            }
            shape.append(size)
            count = product
        }
        guard data.count - headerSize == count else {
            throw IDXError.trailingBytes(path: path, expected: headerSize + count, found: data.count)
        }
        let start = data.startIndex + headerSize
        return IDX(shape: shape, bytes: [UInt8](data[start..<(start + count)]))
    }

    /// The file as gray images: a [count, height, width] IDX becomes `count` RGB images with the gray value in
    /// every channel (as Fashion-MNIST's white-on-black items).
    public func grayImages(path: String = "<memory>") throws -> [RGBImage] {
        guard shape.count == 3 else { throw IDXError.wrongShape(path: path, expected: "[count, height, width]", found: shape) }
        let (n, h, w) = (shape[0], shape[1], shape[2])
        return (0..<n).map { i in
            var pixels = [UInt8](repeating: 0, count: h * w * 3)
            for p in 0..<(h * w) {
                let v = bytes[i * h * w + p]
                (pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2]) = (v, v, v)
            }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
    }

    /// The file as labels: a [count] IDX becomes `count` integers.
    public func labels(path: String = "<memory>") throws -> [Int] {
        guard shape.count == 1 else { throw IDXError.wrongShape(path: path, expected: "[count]", found: shape) }
        return bytes.map(Int.init)
    }
}

/// Why an IDX (or gzip) file could not be read; the description says what was expected, what was found and
/// how to fix it.
public enum IDXError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    /// The first bytes are not `00 00 <type> <rank ≥ 1>`.
    case badMagic(path: String, found: [UInt8])
    /// A type code other than 0x08 (unsigned bytes).
    case unsupportedType(path: String, code: UInt8)
    /// The file ends before `what` (`expected` bytes in all, `found` present).
    case truncated(path: String, expected: Int, found: Int, what: String)
    /// More bytes than the header's sizes account for.
    case trailingBytes(path: String, expected: Int, found: Int)
    /// The dimensions do not fit the requested use (images or labels).
    case wrongShape(path: String, expected: String, found: [Int])
    /// The gzip stream is corrupted, truncated or too large.
    case badGzip(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read IDX file \(path): \(reason); check that the file exists (Fashion-MNIST: apt-get install dataset-fashion-mnist)"
        case let .badMagic(path, found):
            "\(path) is not an IDX file: expected the magic bytes 00 00 <type> <dimensions ≥ 1>, found "
                + found.map { String(format: "%02x", $0) }.joined(separator: " ") + "; pass an (optionally gzip'd) IDX file"
        case let .unsupportedType(path, code):
            "\(path): IDX value type 0x\(String(format: "%02x", code)) is not supported (expected 0x08, unsigned bytes, as in (Fashion-)MNIST)"
        case let .truncated(path, expected, found, what):
            "\(path) is truncated: \(what) needs \(expected == Int.max ? "more than Int.max" : String(expected)) bytes, "
                + "the file has \(found); download or decompress it again"
        case let .trailingBytes(path, expected, found):
            "\(path): the header accounts for \(expected) bytes but the file has \(found); the file is corrupted or not IDX"
        case let .wrongShape(path, expected, found):
            "\(path): expected an IDX array of shape \(expected), found \(found)"
        case let .badGzip(path, reason):
            "\(path): invalid gzip data: \(reason); download the file again or pass it uncompressed"
        }
    }
}
