import Imaging

/// Attention maps drawn over an image: a row of panels, each the image scaled to `panel` pixels and tinted red
/// by one map's weights over the region grid (min–max scaled), with a title above.
public enum AttentionHeatmap {
    public static func render(image: RGBImage, maps: [[Double]], names: [String], grid: (height: Int, width: Int),
                              title: [String], panel: Int = 160, columns: Int = 5) -> RGBImage {
        precondition(maps.allSatisfy { $0.count == grid.height * grid.width } && names.count == maps.count,
                     "AttentionHeatmap.render: \(maps.count) maps of \(maps.map(\.count)) for a \(grid.height)×\(grid.width) grid")
        let gap = 10, header = 14 * title.count + 6, label = 14
        let rows = (maps.count + columns - 1) / columns
        let width = max(columns * (panel + gap) - gap, title.map { BitmapFont.width(of: $0) }.max() ?? 0)
        var canvas = RGBImage(width: width, height: header + rows * (panel + label + gap))
        for (i, line) in title.enumerated() { canvas.drawText(line, x: 0, y: 2 + 14 * i, color: .black) }
        let scaled = image.resized(width: panel, height: panel)
        for (m, weights) in maps.enumerated() {
            let (x0, y0) = (m % columns * (panel + gap), header + m / columns * (panel + label + gap))
            canvas.drawText(names[m], x: x0, y: y0, color: RGB(90, 90, 90))
            let low = weights.min() ?? 0, span = max((weights.max() ?? 1) - low, 1e-12)
            for y in 0..<panel {
                for x in 0..<panel {
                    let cell = min(y * grid.height / panel, grid.height - 1) * grid.width + min(x * grid.width / panel, grid.width - 1)
                    let a = 0.7 * (weights[cell] - low) / span, p = scaled[x, y]
                    func mix(_ c: UInt8, _ target: Double) -> UInt8 { UInt8(Double(c) * (1 - a) + target * a) }
                    canvas[x0 + x, y0 + label + y] = RGB(mix(p.red, 255), mix(p.green, 0), mix(p.blue, 0))
                }
            }
        }
        return canvas
    }
}
