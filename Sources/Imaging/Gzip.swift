import CPNG
import Foundation

/// gzip (RFC 1952) decompression through zlib, with a bound on the output size.
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes 1f 8b.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed bytes of a gzip stream (concatenated members are joined). Output beyond `limit` bytes,
    /// a corrupted or truncated stream and a bad CRC throw `IDXError.badGzip` (zlib checks the CRC and length
    /// trailer). `path` only names the source in errors.
    public static func decompress(_ data: Data, limit: Int = 1 << 32, path: String = "<memory>") throws -> Data {
        var stream = z_stream()
        // 15 window bits + 16: gzip wrapper only.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw IDXError.badGzip(path: path, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var out = Data()
        let chunk = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else {
                throw IDXError.badGzip(path: path, reason: "the file is empty")
            }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(raw.count)
            while true {
                stream.next_out = buffer
                stream.avail_out = uInt(chunk)
                let status = inflate(&stream, Z_NO_FLUSH)
                let produced = chunk - Int(stream.avail_out)
                guard out.count + produced <= limit else {
                    throw IDXError.badGzip(path: path, reason: "decompresses to more than \(limit) bytes")
                }
                out.append(buffer, count: produced)
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else is an error.
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { throw IDXError.badGzip(path: path, reason: "zlib reset failed") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw IDXError.badGzip(path: path, reason: "the compressed stream is truncated (ends before its trailer)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw IDXError.badGzip(path: path, reason: "corrupted compressed data (\(message))")
                }
            }
        }
        return out
    }
}
