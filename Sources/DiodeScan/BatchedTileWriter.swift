/// Rank 0's buffer between the scan engine and the result file: finished
/// tiles are collected and written together with `ResultFile.write(_:)`
/// (flags 2, flush, values, flush, flags 1, flush) once the oldest has
/// waited `maximumDelay` or the buffer holds `maximumBufferedPoints` points.
///
/// Written one at a time, a tile cost rank 0 21 HDF5 calls and its flushes
/// (~0.17 ms for 200 points); a batch costs 21 calls per run of neighbouring
/// tiles and three flushes in all (~0.05 ms per tile, mostly the bytes), so
/// with cheap physics rank 0 stops competing with the workers for a core.
///
/// Crash safety is that of `ResultFile.write(_:)`: a process killed at any
/// moment loses at most the tiles buffered here and the batch being written
/// (at most `maximumDelay` of results plus one buffer), which `--resume`
/// recomputes; a flag 1 still always follows complete values on disk. Memory
/// is bounded by `maximumBufferedPoints` (≈ 144 bytes per point), whatever
/// the grid.
public final class BatchedTileWriter {
    public let file: ResultFile
    /// The longest a finished tile waits in the buffer (checked whenever a
    /// tile arrives and in `writeIfDue`, which the scan calls a few times a
    /// second).
    public let maximumDelay: Duration
    /// Buffered points that trigger a write at once.
    public let maximumBufferedPoints: Int
    /// Batches written so far.
    public private(set) var batchesWritten = 0

    private var buffer: [(tile: TileIndex, values: TileValues)] = []
    private var bufferedPoints = 0
    private var oldest: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    public init(file: ResultFile, maximumDelay: Duration = .seconds(1), maximumBufferedPoints: Int = 100_000) {
        self.file = file
        self.maximumDelay = maximumDelay
        self.maximumBufferedPoints = max(1, maximumBufferedPoints)
    }

    /// Tiles waiting to be written.
    public var bufferedTiles: Int { buffer.count }

    /// Buffers a finished tile; writes the buffer when it is full or due.
    public func add(_ values: TileValues, for tile: TileIndex) throws {
        if oldest == nil { oldest = clock.now }
        buffer.append((tile, values))
        bufferedPoints += values.pointCount
        if bufferedPoints >= maximumBufferedPoints {
            try writeBuffered()
        } else {
            try writeIfDue()
        }
    }

    /// Writes the buffer if its oldest tile has waited `maximumDelay`.
    public func writeIfDue() throws {
        guard let oldest, oldest.duration(to: clock.now) >= maximumDelay else { return }
        try writeBuffered()
    }

    /// Writes every buffered tile now (end of the scan, before `finish`).
    public func writeBuffered() throws {
        guard !buffer.isEmpty else { return }
        let batch = buffer
        buffer = []
        bufferedPoints = 0
        oldest = nil
        try file.write(batch)
        batchesWritten += 1
    }
}
