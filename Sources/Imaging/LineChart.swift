/// A line chart rendered to an `RGBImage`: several named series over a shared x axis, with axes, min/max
/// tick labels and a legend, in the built-in bitmap font. For loss and accuracy curves.
public struct LineChart: Sendable {
    /// One curve: its name in the legend, its colour and its (x, y) points.
    public struct Series: Sendable {
        public var name: String
        public var color: RGB
        public var points: [(x: Double, y: Double)]

        public init(name: String, color: RGB, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    public var title: String
    public var series: [Series]
    public var width = 640
    public var height = 400

    public init(title: String, series: [Series]) {
        self.title = title
        self.series = series
    }

    /// A palette of distinguishable colours for series.
    public static let palette = [RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40),
                                 RGB(148, 103, 189), RGB(140, 86, 75)]

    /// The chart as an image.
    public func render() -> RGBImage {
        var image = RGBImage(width: width, height: height)
        let (left, right, top, bottom) = (60, width - 20, 30, height - 40)
        let all = series.flatMap(\.points).filter { $0.y.isFinite }
        let xs = all.map(\.x), ys = all.map(\.y)
        let (x0, x1) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9))
        let (y0, y1) = (ys.min() ?? 0, max(ys.max() ?? 1, (ys.min() ?? 0) + 1e-9))
        func px(_ x: Double) -> Int { left + Int((x - x0) / (x1 - x0) * Double(right - left)) }
        func py(_ y: Double) -> Int { bottom - Int((y - y0) / (y1 - y0) * Double(bottom - top)) }
        let gray = RGB(90, 90, 90)
        image.drawText(title, x: left, y: 8, color: .black, scale: 2)
        image.drawLine(x0: left, y0: top, x1: left, y1: bottom, color: gray)
        image.drawLine(x0: left, y0: bottom, x1: right, y1: bottom, color: gray)
        image.drawText(Self.label(y1), x: 4, y: top - 3, color: gray)
        image.drawText(Self.label(y0), x: 4, y: bottom - 3, color: gray)
        image.drawText(Self.label(x0), x: left, y: bottom + 6, color: gray)
        let endLabel = Self.label(x1)
        image.drawText(endLabel, x: right - BitmapFont.width(of: endLabel), y: bottom + 6, color: gray)
        for s in series {
            let points = s.points.filter { $0.y.isFinite }
            for (a, b) in zip(points, points.dropFirst()) {
                image.drawLine(x0: px(a.x), y0: py(a.y), x1: px(b.x), y1: py(b.y), color: s.color, thickness: 2)
            }
        }
        var legendY = bottom + 20
        var legendX = left
        for s in series {
            image.fillRect(x: legendX, y: legendY + 2, width: 12, height: 4, color: s.color)
            image.drawText(s.name, x: legendX + 16, y: legendY, color: .black)
            legendX += 16 + BitmapFont.width(of: s.name) + 20
            if legendX > right - 80 { legendX = left; legendY += 10 }
        }
        return image
    }

    private static func label(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: abs(v) < 10 ? "%.3f" : "%.1f", v)
    }
}

import Foundation
