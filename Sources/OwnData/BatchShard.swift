/// This process's part of each training batch when ranks train together (data parallel): of a batch's
/// images, positions `count·rank/size ..< count·(rank+1)/size`, with their examples. The union of the shards
/// is the whole batch, drawn by every rank from the same per-step generator.
public struct BatchShard: Equatable, Sendable {
    public let rank: Int, count: Int

    public init(rank: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(rank), "BatchShard: rank \(rank) of \(count)")
        (self.rank, self.count) = (rank, count)
    }

    /// The whole batch (one process).
    public static let whole = BatchShard(rank: 0, count: 1)

    /// The positions of this shard among `n` items.
    public func range(of n: Int) -> Range<Int> { (n * rank / count)..<(n * (rank + 1) / count) }

    /// This shard of a batch's items (a matching draw's images).
    func part(of items: [Int]) -> [Int] { Array(items[range(of: items.count)]) }

    /// This shard of a classification draw: its images, their examples (owners renumbered), and the number of
    /// examples in the whole draw.
    func part(of draw: (images: [Int], examples: [Int], owners: [Int])) -> (images: [Int], examples: [Int], owners: [Int], total: Int) {
        guard count > 1 else { return (draw.images, draw.examples, draw.owners, draw.examples.count) }
        let mine = range(of: draw.images.count)
        let kept = draw.owners.indices.filter { mine.contains(draw.owners[$0]) }
        return (Array(draw.images[mine]), kept.map { draw.examples[$0] }, kept.map { draw.owners[$0] - mine.lowerBound }, draw.examples.count)
    }
}
