/// Drawing primitives (no anti-aliasing), clipped to the image. Coordinates: x to the right, y downwards;
/// pixel (x, y) covers the square [x, x+1) × [y, y+1), so its centre is (x + 0.5, y + 0.5).
extension RGBImage {
    /// Fills the pixels with x in `x..<x+width` and y in `y..<y+height`.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let x0 = max(x, 0), x1 = min(x + w, width), y0 = max(y, 0), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                for column in x0..<x1 {
                    let i = 3 * (row * width + column)
                    p[i] = color.red; p[i + 1] = color.green; p[i + 2] = color.blue
                }
            }
        }
    }

    /// Fills the pixels whose centres lie within `radius` of (`centerX`, `centerY`).
    public mutating func fillCircle(centerX: Double, centerY: Double, radius: Double, color: RGB) {
        let x0 = max(Int((centerX - radius).rounded(.down)), 0), x1 = min(Int((centerX + radius).rounded(.up)), width)
        let y0 = max(Int((centerY - radius).rounded(.down)), 0), y1 = min(Int((centerY + radius).rounded(.up)), height)
        guard x0 < x1, y0 < y1 else { return }
        let r2 = radius * radius
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                let dy = Double(row) + 0.5 - centerY
                for column in x0..<x1 {
                    let dx = Double(column) + 0.5 - centerX
                    guard dx * dx + dy * dy <= r2 else { continue }
                    let i = 3 * (row * width + column)
                    p[i] = color.red; p[i + 1] = color.green; p[i + 2] = color.blue
                }
            }
        }
    }

    /// A line from pixel (x0, y0) to pixel (x1, y1) (Bresenham), each point stamped as a
    /// `thickness × thickness` square centred on it.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, color: RGB, thickness: Int = 1) {
        precondition(thickness >= 1, "drawLine: thickness must be at least 1, got \(thickness)")
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var x = x0, y = y0, error = dx + dy
        let offset = (thickness - 1) / 2
        while true {
            if thickness == 1 {
                if contains(x: x, y: y) { self[x, y] = color }
            } else {
                fillRect(x: x - offset, y: y - offset, width: thickness, height: thickness, color: color)
            }
            if x == x1 && y == y1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }
}
