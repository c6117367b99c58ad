/// What a tile's result must offer to travel between ranks: one flat array of
/// doubles per tile, and the count of points whose solver did not converge
/// (for progress reports).
public protocol TilePayload: Sendable {
    /// The whole tile as doubles. Integers must be exactly representable.
    func encoded() -> [Double]
    /// Inverse of `encoded()` for a tile of `pointsPerTile` points (a slice:
    /// rank 0 decodes straight from the received message).
    init(decoding values: ArraySlice<Double>, pointsPerTile: Int) throws
    /// Points of the tile where either configuration did not converge.
    var nonConvergedPoints: Int { get }
}

/// The messages of the scan protocol.
///
/// Rank 0 coordinates: other ranks ask for tiles (`request`), rank 0 answers
/// every request with `assign` (an empty list means there is no more work),
/// they return finished tiles (`results`, all those finished since the last
/// one, so rank 0 handles one message per batch, not per tile) and, when
/// they have no work left,
/// say `done`; rank 0 answers `done` with `goodbye`, after which the rank
/// sends nothing more. `stop` (from rank 0) and `stopRequested` (to rank 0)
/// carry a signal to every rank.
public enum ScanMessage: Sendable, Equatable {
    case request(count: Int)
    case assign(tiles: [Int])
    case results([FinishedTile])
    case stopRequested
    case stop
    case done
    case goodbye
}

/// One finished tile in a `results` message: its number and its encoded
/// values (`TilePayload.encoded()`; on rank 0 a slice of the message).
public struct FinishedTile: Sendable, Equatable {
    public var tile: Int
    public var payload: ArraySlice<Double>

    public init(tile: Int, payload: ArraySlice<Double>) {
        self.tile = tile
        self.payload = payload
    }
}

/// Point-to-point messaging between the ranks of a scan, used only from the
/// rank's main thread. `MPITransport` implements it over MPI; tests use an
/// in-memory implementation to run several "ranks" as threads.
public protocol ScanTransport: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    func send(_ message: ScanMessage, to destination: Int) throws
    /// The next message that has arrived from any rank, without blocking.
    func poll() throws -> (source: Int, message: ScanMessage)?
}

/// Transport of a scan that runs as one process: there is nobody to talk to.
public final class SingleProcessTransport: ScanTransport {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func send(_ message: ScanMessage, to destination: Int) throws {
        // The engine never sends with one rank (no other rank is active);
        // thrown rather than trapped all the same.
        throw MPITransportError(description: "a single-process scan has no rank \(destination) to send to")
    }
    public func poll() throws -> (source: Int, message: ScanMessage)? { nil }
}
