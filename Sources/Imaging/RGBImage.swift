/// An 8-bit RGB image: `width × height` pixels stored row-major, three bytes (red, green, blue) per pixel.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `height * width * 3` bytes, row by row from the top, each pixel red, green, blue.
    public var pixels: [UInt8]

    /// An image of the given size filled with `color` (white by default).
    public init(width: Int, height: Int, fill color: RGB = .white) {
        precondition(width > 0 && height > 0, "RGBImage: size must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            for i in 0..<width * height {
                buffer[3 * i] = color.red
                buffer[3 * i + 1] = color.green
                buffer[3 * i + 2] = color.blue
            }
            count = width * height * 3
        }
    }

    /// An image over existing bytes (`height * width * 3`, row-major RGB).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(
            width > 0 && height > 0 && pixels.count == width * height * 3,
            "RGBImage: \(width)×\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The colour at column `x`, row `y` (both must be inside the image).
    public subscript(x: Int, y: Int) -> RGB {
        get {
            precondition(contains(x: x, y: y), "RGBImage: pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = 3 * (y * width + x)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(contains(x: x, y: y), "RGBImage: pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = 3 * (y * width + x)
            pixels[i] = newValue.red
            pixels[i + 1] = newValue.green
            pixels[i + 2] = newValue.blue
        }
    }

    /// Whether (x, y) is a pixel of the image.
    @inline(__always)
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && x < width && y >= 0 && y < height }
}

/// An 8-bit sRGB colour.
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)

    public var description: String { "RGB(\(red), \(green), \(blue))" }
}
