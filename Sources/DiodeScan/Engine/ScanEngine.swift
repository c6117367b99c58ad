import Foundation

/// How a scan ended.
public enum ScanOutcome: Sendable, Equatable {
    /// Every tile handed out was computed.
    case completed
    /// A stop was requested (signal); unfinished tiles were dropped.
    case stopped
}

/// The distributed, multi-threaded tile scheduler of one rank.
///
/// Rank 0's main thread coordinates (`coordinate`): it hands tiles one by one
/// from the list of unfinished tiles to its own worker threads and, on
/// request, to the other ranks, and passes every finished tile (local or
/// remote) to `deliver` as soon as it arrives. The other ranks' main threads
/// (`serve`) keep a small prefetch queue full by asking rank 0 for tiles, run
/// them on their workers and send the results back. Only main threads touch
/// the transport (MPI_THREAD_FUNNELED).
///
/// Scheduling is dynamic, but every tile is computed from a cold start by one
/// thread, so the values never depend on the number of ranks or threads.
public final class ScanEngine<Output: TilePayload> {
    public let transport: ScanTransport
    public let threads: Int
    public let pointsPerTile: Int
    public let stop: StopFlag
    /// The fewest tiles a rank keeps queued beyond one per thread, so that
    /// no thread idles while a request travels to rank 0 and back. Every
    /// rank queues more when tiles are short (`prefetchLatency`).
    public var prefetch: Int
    /// The work every rank keeps queued beyond one tile per thread (from its
    /// measured time per tile; at least `prefetch` tiles, at most 64). On
    /// ranks other than 0 it covers the request round trip: rank 0 polls
    /// every 10 ms and the others every 2 ms, so a round trip can take
    /// longer than a whole tile at Fig. 2 cost (~1.5 ms for 200 points).
    /// On every rank it lets the main thread sleep until half of it is
    /// done instead of waking for each finished tile (at Fig. 2 cost that
    /// was a thousand wake-ups a second on rank 0). What it costs: at the
    /// end of a scan a rank may hold this much work the others cannot take.
    public var prefetchLatency: TimeInterval = 0.05
    /// Test-only fault injection: after this many locally computed tiles, call
    /// `onTestAbort` (the CLI aborts the MPI job there). See `docs/jobs.md`.
    public var testAbortAfterTiles: Int?
    public var onTestAbort: () -> Void = {}
    /// Called on rank 0 at least every 0.2 s and after each delivered tile
    /// (progress display, writing buffered tiles when due). An error ends
    /// the scan like one from `deliver`.
    public var heartbeat: () throws -> Void = {}

    private let pool: TileWorkerPool<Output>
    private var locallyComputed = 0

    /// Tile numbers that may arrive from other ranks (results on rank 0,
    /// assignments elsewhere); anything else is a protocol error, not a
    /// tile to look up. The runner sets it to the grid's tiles.
    public var validTiles: Range<Int> = 0..<Int.max

    /// - Throws: `WorkerThreadError` if the worker threads cannot be started.
    public init(transport: ScanTransport, threads: Int, pointsPerTile: Int, stop: StopFlag,
                startThread: TileWorkerPool<Output>.ThreadStarter = TileWorkerPool<Output>.startSystemThread,
                evaluate: @escaping @Sendable (_ tile: Int, _ stop: StopFlag) -> Output?) throws {
        self.transport = transport
        self.threads = threads
        self.pointsPerTile = pointsPerTile
        self.stop = stop
        self.prefetch = max(1, threads / 4)
        pool = try TileWorkerPool(threadCount: threads, stop: stop, startThread: startThread, evaluate: evaluate)
    }

    deinit { pool.shutdown() }

    /// How long a main thread waits for its workers before polling messages
    /// again: rank 0 answers requests (covered by the others' queues), the
    /// others return results and ask for work.
    private var pollInterval: TimeInterval {
        transport.size == 1 ? 0.05 : transport.rank == 0 ? 0.01 : 0.002
    }

    private func prefetchDepth() -> PrefetchDepth {
        PrefetchDepth(minimum: prefetch, latency: prefetchLatency, threads: threads)
    }

    private func countLocalTile() {
        locallyComputed += 1
        if let limit = testAbortAfterTiles, locallyComputed >= limit { onTestAbort() }
    }

    // MARK: Rank 0

    /// Runs the scan of `pending` (tile numbers, computed in this order as far
    /// as scheduling allows) on rank 0, delivering each finished tile.
    ///
    /// Returns when all tiles are delivered, or when `stop` was set and every
    /// rank has returned what it finished. An error thrown by `deliver` ends
    /// the scan at once (the caller aborts the job).
    public func coordinate(pending tiles: [Int], deliver: (_ tile: Int, _ output: Output) throws -> Void) throws -> ScanOutcome {
        // Internal invariant: the runner calls coordinate() on rank 0 and serve() elsewhere.
        precondition(transport.rank == 0, "coordinate() runs on rank 0")
        var pending = tiles[...]
        var activeRanks = Set(1..<transport.size)
        var stopping = false
        var lastHeartbeat = Date.distantPast
        var deliveredCount = 0
        var depth = prefetchDepth()

        while true {
            if stop.isSet && !stopping {
                stopping = true
                pool.dropQueued()
                for rank in activeRanks.sorted() { try transport.send(.stop, to: rank) }
            }
            if !stopping {
                let room = threads + depth.spare - pool.outstanding
                if room > 0 && !pending.isEmpty {
                    pool.submit(pending.prefix(room))
                    pending = pending.dropFirst(room)
                    depth.submitted()
                }
            }
            while let (source, message) = try transport.poll() {
                switch message {
                case .request(let count):
                    guard count >= 0 else { throw ScanProtocolError(message: message, rank: 0, source: source) }
                    let granted = stopping ? [] : Array(pending.prefix(count))
                    pending = pending.dropFirst(granted.count)
                    try transport.send(.assign(tiles: granted), to: source)
                case .results(let finished):
                    for result in finished {
                        guard validTiles.contains(result.tile) else {
                            throw ScanProtocolError(message: .results([result]), rank: 0, source: source)
                        }
                        try deliver(result.tile, try Output(decoding: result.payload, pointsPerTile: pointsPerTile))
                        deliveredCount += 1
                        try heartbeat()
                    }
                case .stopRequested:
                    stop.set()
                case .done:
                    activeRanks.remove(source)
                    try transport.send(.goodbye, to: source)
                case .assign, .stop, .goodbye:
                    throw ScanProtocolError(message: message, rank: 0, source: source)
                }
            }
            let finished = pool.takeFinished(waitingUpTo: pollInterval, atLeast: depth.spare / 2)
            for (tile, output) in finished {
                try deliver(tile, output)
                deliveredCount += 1
                try heartbeat()
                countLocalTile()
            }
            depth.finished(finished.count)
            if Date().timeIntervalSince(lastHeartbeat) > 0.2 {
                try heartbeat()
                lastHeartbeat = Date()
            }
            if activeRanks.isEmpty && pool.outstanding == 0 && (pending.isEmpty || stopping) {
                return deliveredCount == tiles.count ? .completed : .stopped
            }
        }
    }

    // MARK: Other ranks

    /// Computes tiles for rank 0 until it has no more work or a stop arrives.
    public func serve() throws -> ScanOutcome {
        // Internal invariant (see coordinate()).
        precondition(transport.rank != 0, "serve() runs on ranks other than 0")
        var requestInFlight = false
        var noMoreWork = false
        var stopping = false
        var stopAnnounced = false
        var depth = prefetchDepth()

        while true {
            if stop.isSet && !stopping {
                stopping = true
                pool.dropQueued()
                if !stopAnnounced { try transport.send(.stopRequested, to: 0) }
            }
            let room = threads + depth.spare - pool.outstanding
            if !stopping && !noMoreWork && !requestInFlight && room > 0 {
                try transport.send(.request(count: room), to: 0)
                requestInFlight = true
            }
            while let (source, message) = try transport.poll() {
                switch message {
                case .assign(let tiles):
                    guard tiles.allSatisfy(validTiles.contains) else {
                        throw ScanProtocolError(message: message, rank: transport.rank, source: source)
                    }
                    requestInFlight = false
                    if tiles.isEmpty {
                        noMoreWork = true
                    } else if !stopping {
                        pool.submit(tiles)
                        depth.submitted()
                    }
                case .stop:
                    stopAnnounced = true   // rank 0 already knows
                    stop.set()
                case .request, .results, .stopRequested, .done, .goodbye:
                    throw ScanProtocolError(message: message, rank: transport.rank, source: source)
                }
            }
            let finished = pool.takeFinished(waitingUpTo: pollInterval, atLeast: depth.spare / 2)
            if !finished.isEmpty {
                try transport.send(.results(finished.map { FinishedTile(tile: $0.tile, payload: $0.output.encoded()[...]) }), to: 0)
                for _ in finished { countLocalTile() }
            }
            depth.finished(finished.count)
            if (noMoreWork || stopping) && !requestInFlight && pool.outstanding == 0 {
                break
            }
        }
        // Tell rank 0 we are finished, then drain until it acknowledges, so no
        // message is left unreceived when MPI is finalised.
        try transport.send(.done, to: 0)
        while true {
            if let (source, message) = try transport.poll() {
                switch message {
                case .goodbye: return stop.isSet ? .stopped : .completed
                case .stop, .assign: continue
                default: throw ScanProtocolError(message: message, rank: transport.rank, source: source)
                }
            } else {
                Thread.sleep(forTimeInterval: 0.001)
            }
        }
    }
}

/// A message arrived that the protocol does not allow at that point (a bug,
/// or ranks of different diodescan versions).
public struct ScanProtocolError: Error, CustomStringConvertible {
    public var message: ScanMessage
    public var rank: Int
    public var source: Int
    public var description: String { "scan protocol error: rank \(rank) received \(summary) from rank \(source)" }

    /// The message in a few words (a results message can hold megabytes).
    private var summary: String {
        switch message {
        case .request(let count): "request(count: \(count))"
        case .assign(let tiles): "assign of \(tiles.count) tiles " + tiles.prefix(4).map(String.init).joined(separator: ", ") + (tiles.count > 4 ? ", …" : "")
        case .results(let finished): "results of \(finished.count) tiles (first: \(finished.first.map { String($0.tile) } ?? "none"))"
        default: "\(message)"
        }
    }
}

/// How many tiles a rank keeps queued beyond one per thread: about
/// `latency` of work at the measured time per tile, at least `minimum` and
/// at most 64.
struct PrefetchDepth {
    let minimum: Int
    let latency: TimeInterval
    let threads: Int
    private(set) var spare: Int
    private var firstSubmission: Date?
    private var finishedTiles = 0

    init(minimum: Int, latency: TimeInterval, threads: Int) {
        self.minimum = minimum
        self.latency = latency
        self.threads = threads
        spare = minimum
    }

    /// Tiles were handed to the workers (the clock starts at the first).
    mutating func submitted() {
        if firstSubmission == nil { firstSubmission = Date() }
    }

    /// `count` more tiles finished.
    mutating func finished(_ count: Int) {
        finishedTiles += count
        guard let firstSubmission, finishedTiles > 0, count > 0 else { return }
        // Seconds per tile per thread, with every thread busy.
        let perTile = Date().timeIntervalSince(firstSubmission) * Double(threads) / Double(finishedTiles)
        spare = min(64, max(minimum, Int((latency * Double(threads) / perTile).rounded(.up))))
    }
}
