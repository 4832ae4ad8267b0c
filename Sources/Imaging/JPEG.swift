import CTurboJPEG
import Foundation
import Tensors

/// JPEG files through libjpeg-turbo's TurboJPEG API (which keeps libjpeg's setjmp error handling inside the
/// library: errors come back as return codes and become `ImageError`s, never a crash).
public enum JPEG {
    /// Reads a JPEG file (baseline or progressive, gray or colour) as 8-bit RGB.
    public static func read(_ url: URL) throws -> RGBImage { try decode(try ImageFile.contents(of: url), path: url.path) }

    /// Decodes JPEG bytes as 8-bit RGB (`path` only names the source in errors). Anything libjpeg-turbo warns
    /// about, such as a truncated file, is refused rather than decoded into a partly grey image; an image wider or
    /// taller than `maxSide` is refused (`ImageError.tooLarge`) from its header, before any pixel is decoded.
    public static func decode(_ data: Data, path: String = "<memory>", maxSide: Int = 1 << 15) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError.invalidJPEG(path: path, reason: String(cString: tjGetErrorStr2(nil)))
        }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> RGBImage in
            let bytes = raw.bindMemory(to: UInt8.self).baseAddress, count = UInt(raw.count)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, bytes, count, &width, &height, &subsampling, &colorspace) == 0 else {
                throw ImageError.invalidJPEG(path: path, reason: message(handle))
            }
            let w = Int(width), h = Int(height)
            guard w > 0, h > 0, w <= 1 << 15, h <= 1 << 15 else {
                throw ImageError.invalidJPEG(path: path, reason: "unsupported size \(w)×\(h) (at least 1×1, at most 32768×32768)")
            }
            guard w <= maxSide, h <= maxSide else { throw ImageError.tooLarge(path: path, width: w, height: h, maxSide: maxSide) }
            // Huffman coding spends at least one bit on every 8×8 block: at most 512 pixels per byte (flat white
            // 8192×8192 images from libjpeg-turbo reach 36–170). 2048 per byte leaves ample headroom and any image
            // of up to 1 M pixels passes, so a header claiming more pixels than the file can plausibly hold is
            // refused before allocating.
            guard w * h <= 2048 * raw.count + (1 << 20) else {
                throw ImageError.invalidJPEG(path: path, reason: "header claims \(w)×\(h) pixels, more than \(raw.count) bytes of JPEG can hold")
            }
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
            let status = pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, bytes, count, out.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue), flags)
            }
            // -1 also for warnings (TJERR_WARNING), e.g. "Premature end of JPEG file": any failure is an error.
            guard status == 0 else { throw ImageError.invalidJPEG(path: path, reason: message(handle)) }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
    }

    /// Writes `image` as a JPEG of the given quality (1–100), atomically (a temporary file, then renamed).
    public static func write(_ image: RGBImage, to url: URL, quality: Int = 90) throws {
        let data = try encode(image, quality: quality, path: url.path)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageError.unwritable(path: url.path, reason: fileErrorReason(error, url: url))
        }
    }

    /// The baseline JPEG bytes of `image` at `quality` (1–100); chroma is not subsampled (4:4:4), so small
    /// coloured details keep their colour.
    public static func encode(_ image: RGBImage, quality: Int = 90, path: String = "<memory>") throws -> Data {
        try encode(samples: image.pixels, width: image.width, height: image.height, gray: false, progressive: false,
                   quality: quality, path: path)
    }

    /// The JPEG bytes of row-major samples: RGB triples, or one luma byte per pixel when `gray`.
    static func encode(samples: [UInt8], width: Int, height: Int, gray: Bool, progressive: Bool, quality: Int,
                       path: String) throws -> Data {
        precondition((1...100).contains(quality), "JPEG.encode: quality must be 1–100, got \(quality)")
        precondition(samples.count == width * height * (gray ? 1 : 3), "JPEG.encode: \(samples.count) samples for \(width)×\(height)")
        guard let handle = tjInitCompress() else {
            throw ImageError.unwritable(path: path, reason: String(cString: tjGetErrorStr2(nil)))
        }
        defer { tjDestroy(handle) }
        let format = gray ? TJPF_GRAY : TJPF_RGB, subsampling = gray ? TJSAMP_GRAY : TJSAMP_444
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { tjFree(output) }
        let status = samples.withUnsafeBufferPointer { source in
            tjCompress2(handle, source.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                        &output, &size, Int32(subsampling.rawValue), Int32(quality), progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        guard status == 0, let output else { throw ImageError.unwritable(path: path, reason: message(handle)) }
        return Data(bytes: output, count: Int(size))
    }

    private static func message(_ handle: tjhandle) -> String {
        let text = String(cString: tjGetErrorStr2(handle))
        return text.isEmpty ? "unknown libjpeg-turbo error" : text
    }
}
