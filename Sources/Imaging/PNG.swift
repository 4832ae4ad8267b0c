import CPNG
import Foundation
import Tensors

/// PNG files through libpng's simplified `png_image` API (which keeps libpng's setjmp error handling inside
/// libpng: errors come back as return codes and become `ImageError`s, never a crash).
public enum PNG {
    /// Reads a PNG file of any colour type and bit depth (gray, gray+alpha, RGB, RGBA, palette; 1–16 bits) as
    /// 8-bit RGB. 16-bit samples without colour-space information are taken as sRGB (scaled, not
    /// gamma-converted); alpha is composited onto white.
    public static func read(_ url: URL) throws -> RGBImage { try decode(try ImageFile.contents(of: url), path: url.path) }

    /// Decodes PNG bytes (`path` only names the source in errors); an image wider or taller than `maxSide` is
    /// refused (`ImageError.tooLarge`) from its header, before any pixel is decoded.
    public static func decode(_ data: Data, path: String = "<memory>", maxSide: Int = 1 << 15) throws -> RGBImage {
        // libpng keeps the pointer from begin_read until finish_read: both run inside one withUnsafeBytes.
        try data.withUnsafeBytes { raw -> RGBImage in
            var image = png_image()
            image.version = png_uint_32(PNG_IMAGE_VERSION)
            defer { png_image_free(&image) }
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                throw ImageError.invalidPNG(path: path, reason: message(image))
            }
            image.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
            image.format = png_uint_32(PNG_FORMAT_RGB)
            let width = Int(image.width), height = Int(image.height)
            guard width <= 1 << 15, height <= 1 << 15 else {
                throw ImageError.invalidPNG(path: path, reason: "unsupported size \(width)×\(height) (at most 32768×32768)")
            }
            guard width <= maxSide, height <= maxSide else {
                throw ImageError.tooLarge(path: path, width: width, height: height, maxSide: maxSide)
            }
            // Deflate expands at most 1032×, and a pixel takes at least 1 bit: a header claiming more pixels than
            // the file can hold is refused before the output buffer is allocated.
            guard width * height <= 8 * 1032 * raw.count + (1 << 16) else {
                throw ImageError.invalidPNG(path: path, reason: "header claims \(width)×\(height) pixels, more than \(raw.count) bytes of PNG can hold")
            }
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            var background = png_color(red: 255, green: 255, blue: 255)
            let finished = pixels.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, &background, out.baseAddress, png_int_32(width * 3), nil)
            }
            guard finished != 0 else { throw ImageError.invalidPNG(path: path, reason: message(image)) }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    /// Writes `image` as an 8-bit RGB PNG, atomically: into a temporary file next to `url`, then renamed.
    public static func write(_ image: RGBImage, to url: URL) throws {
        let data = try encode(image, path: url.path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".tmp-\(url.lastPathComponent)-\(UUID().uuidString)")
        do {
            try data.write(to: temporary)
        } catch {
            throw ImageError.unwritable(path: url.path, reason: fileErrorReason(error, url: temporary))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ImageError.unwritable(path: url.path, reason: "cannot rename the temporary file: \(why)")
        }
    }

    /// The PNG bytes of `image` (8-bit RGB, sRGB).
    public static func encode(_ image: RGBImage, path: String = "<memory>") throws -> Data {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(PNG_FORMAT_RGB)
        defer { png_image_free(&png) }
        let stride = png_int_32(image.width * 3)
        return try image.pixels.withUnsafeBytes { raw -> Data in
            var size = 0
            // First call measures, second writes.
            guard png_image_write_to_memory(&png, nil, &size, 0, raw.baseAddress, stride, nil) != 0 else {
                throw ImageError.unwritable(path: path, reason: message(png))
            }
            var data = Data(count: size)
            let ok = data.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&png, out.baseAddress, &size, 0, raw.baseAddress, stride, nil)
            }
            guard ok != 0 else { throw ImageError.unwritable(path: path, reason: message(png)) }
            return data.prefix(size)
        }
    }

    private static func message(_ image: png_image) -> String {
        var copy = image.message
        let text = withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "unknown libpng error" : text
    }
}
