import DiodeHDF5
import Foundation

/// The HDF5 file a scan writes: the layout of docs/ARCHITECTURE.md, written
/// tile by tile, resumable after a crash at any moment.
///
/// ## Crash safety
/// While scanning, the file is in the *scanning* stage: every dataset,
/// coordinate and attribute is created up front, the result datasets are
/// contiguous and preallocated (not filled: never-written storage reads as
/// zeros, and `tile_done` = 3 marks the tiles that hold nothing yet), the
/// file is opened without a data sieve buffer (writes go straight to the
/// file), and the file is published under its final name only once it is
/// complete (it is built as
/// `<path>.creating` and hard-linked into place). After that, writing a tile
/// only overwrites bytes at fixed offsets: the file's metadata never changes,
/// so a process killed at any moment leaves a valid file. `write(_:for:)`
/// writes a tile's values, flushes, then sets the tile's `tile_done` flag and
/// flushes again, so a set flag always means complete values; a tile killed
/// half-way is simply recomputed on resume.
///
/// `finish(run:compression:)` turns the file into the *finished* stage.
/// Uncompressed, only root attributes change, in place, guarded by an undo
/// journal (`ResultFileJournal`): the bytes outside the result datasets'
/// blocks (which an attribute change never writes) are saved in
/// `<path>.journal` and synced first, the file is changed and synced, then
/// the journal is removed (the commit point). A crash before that leaves a
/// complete journal, and the next open of the file (every open path runs
/// `ResultFileJournal.recover`, the read-only one too: a reader cannot use a
/// half-changed file, and the restore gives exactly the scanning file it had
/// been) writes the saved bytes back, so the file is the complete scanning
/// file again. Where the blocks cannot be located, the file is copied instead
/// and the copy changed. With compression, the finished file is a chunked,
/// deflate-compressed rewrite built as `<path>.finishing`, synced and renamed
/// over the scanning file (atomic). Either way a crash at any moment leaves
/// a complete file of one stage or the other, never a mixture.
/// `openForResume` accepts either stage; a finished file goes back to the
/// scanning stage first, the same way (a compressed one by a rewrite).
///
/// All calls must come from one thread (HDF5 is used single-threaded).
public final class ResultFile {
    /// The file's path.
    public let path: String
    /// The scan grid stored in the file's coordinates.
    public let axes: ScanAxes
    /// The optional reference currents the file holds (`[output] extras`:
    /// `I_lin`, `J_lin`, `I_eqT`, `J_eqT`), in file order.
    public let extras: [String]
    /// The result datasets of doubles of this file (with its extras).
    private let doubleVariables: [ResultFileLayout.DoubleVariable]
    /// The provenance stored in the file (parameters, job text, fingerprint,
    /// version, history).
    public private(set) var storedMetadata: ScanMetadata
    /// Whether the file was opened only for reading.
    public let isReadOnly: Bool

    private var file: HDF5File?
    private var datasets: [String: HDF5Dataset]
    /// One variable of a run of neighbouring tiles, gathered for one write;
    /// kept between writes so that a scan allocates them once.
    private var doubleRun: [Double] = []
    private var integerRun: [Int32] = []
    /// One bit per tile (its storage-order number): set while the tile's
    /// storage has never been written, so it still reads as zeros
    /// (`tile_done` = 3 when the file was opened). Read on the first write.
    private var neverWritten: [UInt64]?
    /// Writes of one variable of a run of tiles left out because the values
    /// were all zero bits and the storage still held them (tests).
    private(set) var zeroWritesSkipped = 0

    /// Whether `finish` changes an uncompressed file in place (false: it
    /// copies the file, the path taken where the blocks cannot be located;
    /// tests compare the two).
    var amendsInPlace = true
    /// Called at each step of an in-place change (tests).
    var amendHook: AmendHook?

    /// Root attribute names that parameters may not use.
    public static var reservedAttributeNames: Set<String> { ResultFileLayout.Root.all }

    init(
        path: String, axes: ScanAxes, extras: [String], metadata: ScanMetadata, file: HDF5File,
        datasets: [String: HDF5Dataset], readOnly: Bool
    ) {
        self.path = path
        self.axes = axes
        self.extras = extras
        self.doubleVariables = ResultFileLayout.doubleVariables(extras: extras)
        self.storedMetadata = metadata
        self.file = file
        self.datasets = datasets
        self.isReadOnly = readOnly
    }

    // MARK: Creating and opening

    /// Creates a new result file for a scan over `axes`.
    ///
    /// - Throws: `ResultFileError.fileExists` if `path` exists and
    ///   `overwrite` is false; `ResultFileError.invalidAxes` or
    ///   `.reservedParameterName` for bad input; `HDF5Error` or
    ///   `ResultFileError.system` if the file cannot be written.
    public static func create(path: String, axes: ScanAxes, extras: [String] = [], metadata: ScanMetadata,
                              overwrite: Bool) throws -> ResultFile {
        try validate(axes: axes, metadata: metadata)
        for name in extras where !ResultFileLayout.extraNames.contains(name) {
            throw ResultFileError.invalidAxes(reason: "unknown extra dataset '\(name)'")
        }
        // In file order, whatever the order asked for.
        let extras = ResultFileLayout.extraNames.filter(extras.contains)
        // A journal left by a killed finish belongs to the file now at
        // `path`: settle it before that file is kept or replaced.
        try ResultFileJournal.recover(path: path)
        var status = stat()
        if stat(path, &status) == 0 {
            // Only a regular file is ever replaced: `--overwrite` of a
            // directory, device or FIFO (or a link to one) is a mistake.
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw ResultFileError.cannotCreate(path: path, reason: "it exists and is not a regular file")
            }
            if !overwrite { throw ResultFileError.fileExists(path: path) }
        }
        let directory = (path as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ResultFileError.cannotCreate(path: path, reason: "directory '\(parent)' does not exist")
        }
        guard access(parent, W_OK) == 0 else {
            throw ResultFileError.cannotCreate(path: path, reason: "directory '\(parent)' is not writable")
        }
        try requireFreeSpace(in: parent, for: path, bytes: estimatedSize(of: axes, extras: extras.count))
        removeStaleTemporaries(of: path)
        // A name of this process alone: two scans started at once on one new
        // output each build their own file, and the second to publish it
        // finds the first's (`fileExists`) instead of both failing.
        let temporary = temporaryName(for: path, suffix: "creating")
        try build(
            at: temporary, for: path, axes: axes, extras: extras, metadata: metadata, stage: ResultFileLayout.Stage.scanning,
            compressed: false
        ) { _ in }
        try publish(temporary, as: path, replacing: overwrite)
        return try open(path: path, readOnly: false)
    }

    /// The size of a new (uncompressed) file for `axes`, bytes: 144 a point,
    /// a byte a tile, and a margin for the metadata (HDF5's headers, the
    /// coordinates, the job text).
    public static func estimatedSize(of axes: ScanAxes, extras: Int = 0) -> Double {
        let perPoint = ResultFileLayout.doubleVariables.reduce(0) { $0 + 8 * ($1.perRegion ? 3 : 1) }
            + 4 * ResultFileLayout.int32Variables.count + 16 * extras
        return Double(axes.pointCount) * Double(perPoint) + Double(axes.tileCount)
            + 8 * Double(axes.shape.reduce(0, +)) + 131_072
    }

    /// Throws `.cannotCreate` unless the file system of `directory` has
    /// `bytes` free for the unprivileged user (`statvfs`). The result
    /// datasets are allocated but written only as tiles finish, so without
    /// this check a grid too big for the disk makes a sparse file that fails
    /// hours later. File systems that report no size (some network and
    /// FUSE file systems: zero blocks) are not checked.
    static func requireFreeSpace(in directory: String, for path: String, bytes: Double) throws {
        var info = statvfs()
        guard statvfs(directory, &info) == 0, info.f_blocks > 0 else { return }
        let available = Double(info.f_bavail) * Double(info.f_frsize)
        guard bytes <= available else {
            throw ResultFileError.cannotCreate(
                path: path,
                reason: "not enough free space: the file needs about \(ScanGrid.formatBytes(bytes)), "
                    + "'\(directory)' has \(ScanGrid.formatBytes(available)) free")
        }
    }

    /// `<path>.<suffix>.<pid>.<random>`: a temporary name no other process uses.
    static func temporaryName(for path: String, suffix: String) -> String {
        "\(path).\(suffix).\(getpid()).\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// Removes temporaries of `path` that killed processes left behind
    /// (`<path>.creating`, `<path>.creating.*`): those older than a minute
    /// that no process holds locked (HDF5 keeps a file it writes locked).
    static func removeStaleTemporaries(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else {
            return
        }
        for entry in entries where entry == name + ".creating" || entry.hasPrefix(name + ".creating.") {
            let candidate = directory.isEmpty ? entry : (directory as NSString).appendingPathComponent(entry)
            var status = stat()
            guard lstat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                  Date().timeIntervalSince1970 - Double(status.st_mtim.tv_sec) > 60 else { continue }
            let descriptor = Foundation.open(candidate, O_RDONLY)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { unlink(candidate) }
            Foundation.close(descriptor)
        }
    }

    /// Opens an existing result file to continue its scan. A finished file
    /// is first brought back to the scanning stage: an uncompressed one by
    /// removing the run attributes in place (guarded by an undo journal, as
    /// in `finish`), a compressed one by rewriting it contiguous (as
    /// `<path>.resuming`, renamed into place).
    public static func openForResume(path: String) throws -> ResultFile {
        try openForResume(path: path, amendHook: nil)
    }

    /// `openForResume(path:)`, with `amendHook` called at each step of an
    /// in-place change (tests).
    static func openForResume(path: String, amendHook: AmendHook?, inPlace: Bool = true) throws -> ResultFile {
        let (stage, axes, extras, metadata) = try inspect(path: path)
        if stage == ResultFileLayout.Stage.finished {
            let temporary = path + ".resuming"
            let backToScanning = { (file: HDF5File) throws in
                try file.setAttribute(ResultFileLayout.Root.fileStage, .string(ResultFileLayout.Stage.scanning))
                for name in ResultFileLayout.runAttributes where try file.hasAttribute(name) {
                    try file.removeAttribute(name)
                }
            }
            if try inPlace && amendInPlace(path, hook: amendHook, change: backToScanning) {
                unlink(temporary)  // a rewrite's leftover from a killed process, as the copy would replace it
                return try open(path: path, readOnly: false)
            }
            let source = try openHDF5(path, mode: .readOnly)
            if case .contiguous = try source.openDataset(ResultFileLayout.doubleVariables[0].name).layout {
                try copyFile(path, to: temporary)
                try amend(temporary, for: path, change: backToScanning)
            } else {
                try build(at: temporary, for: path, axes: axes, extras: extras, metadata: metadata,
                          stage: ResultFileLayout.Stage.scanning, compressed: false) { destination in
                    try copyResults(from: source, to: destination, axes: axes, extras: extras)
                }
            }
            try source.close()
            try publish(temporary, as: path, replacing: true)
        }
        return try open(path: path, readOnly: false)
    }

    /// Opens a result file (either stage) for reading only.
    public static func openForReading(path: String) throws -> ResultFile {
        try open(path: path, readOnly: true)
    }

    /// Throws `ResultFileError.differentJob` unless the stored job
    /// fingerprint equals `fingerprint`.
    public func requireSameJob(fingerprint: String) throws {
        guard storedMetadata.jobFingerprint == fingerprint else {
            throw ResultFileError.differentJob(path: path)
        }
    }

    // MARK: Tiles

    /// The tiles whose values are completely on disk (`tile_done` = 1).
    public func completedTiles() throws -> Set<TileIndex> {
        let done = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        var tiles = Set<TileIndex>()
        for (offset, flag) in done.enumerated() where flag == ResultFileLayout.TileFlag.done {
            tiles.insert(axes.tileIndex(offset))
        }
        return tiles
    }

    /// Writes `values` for `tile` (a batch of one; see `write(_:)`).
    public func write(_ values: TileValues, for tile: TileIndex) throws {
        try write([(tile, values)])
    }

    /// Writes a batch of finished tiles, crash-safe at every step:
    ///
    /// 1. the batch's `tile_done` flags become 2 ("being written"), flush;
    /// 2. every tile's values, flush;
    /// 3. the flags become 1 ("done"), flush.
    ///
    /// A process killed during step 2 leaves flags of 2 beside partial
    /// values: `completedTiles()` does not count them (a resume recomputes
    /// them) and `finish` gives them fill values and flag 0. A flag of 1
    /// therefore always means complete values. Tiles that are neighbours in
    /// the file (the same outer indices but the last, which is consecutive:
    /// the same ΔT, consecutive ε3 in the paper's grids) are written with one HDF5 call
    /// per dataset, so a batch costs a few calls per run of neighbouring
    /// tiles instead of 21 per tile. A variable that is all zero bits in a
    /// run of tiles whose storage was never written (flag 3: it reads as
    /// zeros) is not written at all: at λ = 1 without screening that is `U`
    /// and, where every point converged, `status`, 56 of 144 bytes a point.
    public func write(_ batch: [(tile: TileIndex, values: TileValues)]) throws {
        try write(batch, completing: ResultFileLayout.TileFlag.done)
    }

    /// `write(_:)` with `flag` as the flag of step 3.
    private func write(_ batch: [(tile: TileIndex, values: TileValues)], completing flag: UInt8) throws {
        guard !isReadOnly else { throw ResultFileError.closed(path: path) }
        guard !batch.isEmpty else { return }
        let n = axes.pointsPerTile
        for (tile, values) in batch {
            try check(tile)
            guard values.pointCount == n else {
                throw ResultFileError.wrongPointCount(axes.describe(tile), axis: axes.inner.key, expected: n,
                                                      actual: values.pointCount)
            }
        }
        let runs = runs(of: batch)
        let file = try openFile()
        let tileDone = try dataset(ResultFileLayout.tileDone)
        // Decided before the flags change: a run whose storage was never
        // written reads as zeros already, so its all-zero variables (U
        // without screening, the status of converged points) need no bytes.
        // Every tile of the batch counts as written from here on, whatever
        // happens below (a killed write leaves flag 2: written in full later).
        let runsNeverWritten = try runs.map { run in try run.indices.allSatisfy { try hasNeverBeenWritten(batch[$0].tile) } }
        for (tile, _) in batch { markWritten(tile) }
        func setFlags(_ flag: UInt8) throws {
            for run in runs {
                let (start, count) = tileSelection(of: run.first, tiles: run.count)
                try tileDone.write([UInt8](repeating: flag, count: run.count), start: start, count: count)
            }
            try file.flush()
        }
        try setFlags(ResultFileLayout.TileFlag.writing)
        for (run, neverWritten) in zip(runs, runsNeverWritten) {
            func alreadyZero(_ isZero: (TileValues) -> Bool) -> Bool {
                neverWritten && run.indices.allSatisfy { isZero(batch[$0].values) }
            }
            for variable in doubleVariables {
                if alreadyZero({ $0.isAllZeroBits(variable.field) }) {
                    zeroWritesSkipped += 1
                    continue
                }
                let (start, count) = selection(of: run.first, tiles: run.count, perRegion: variable.perRegion)
                doubleRun.removeAll(keepingCapacity: true)
                for index in run.indices { batch[index].values.appendValues(of: variable.field, to: &doubleRun) }
                try dataset(variable.name).write(doubleRun, start: start, count: count)
            }
            for variable in ResultFileLayout.int32Variables {
                if alreadyZero({ $0.isAllZeroBits(variable.field) }) {
                    zeroWritesSkipped += 1
                    continue
                }
                let (start, count) = selection(of: run.first, tiles: run.count, perRegion: false)
                integerRun.removeAll(keepingCapacity: true)
                for index in run.indices { batch[index].values.appendValues(of: variable.field, to: &integerRun) }
                try dataset(variable.name).write(integerRun, start: start, count: count)
            }
        }
        try file.flush()
        try setFlags(flag)
    }

    /// Whether `tile`'s storage has never been written (reads as zeros).
    private func hasNeverBeenWritten(_ tile: TileIndex) throws -> Bool {
        if neverWritten == nil {
            let flags = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
            var bits = [UInt64](repeating: 0, count: (flags.count + 63) / 64)
            for (offset, flag) in flags.enumerated() where flag == ResultFileLayout.TileFlag.unwritten {
                bits[offset / 64] |= 1 << UInt64(offset % 64)
            }
            neverWritten = bits
        }
        let offset = flagOffset(of: tile)
        return neverWritten![offset / 64] & (1 << UInt64(offset % 64)) != 0
    }

    private func markWritten(_ tile: TileIndex) {
        let offset = flagOffset(of: tile)
        neverWritten?[offset / 64] &= ~(1 << UInt64(offset % 64))
    }

    /// Where `tile`'s flag lies in `tile_done` read whole (row-major over the outer axes).
    private func flagOffset(of tile: TileIndex) -> Int { axes.tileNumber(tile) }

    /// A run of tiles that are neighbours in the file: the same outer
    /// indices but the last, which counts up from `first`'s (the same ΔT,
    /// consecutive ε3 in the paper's grids); `indices` point into the batch.
    private struct Run {
        var first: TileIndex
        var indices: [Int]
        var count: Int { indices.count }
    }

    /// The batch's tiles grouped into runs of neighbours (a tile listed twice
    /// is written once, its last values winning).
    private func runs(of batch: [(tile: TileIndex, values: TileValues)]) -> [Run] {
        var latest: [TileIndex: Int] = [:]
        for index in batch.indices { latest[batch[index].tile] = index }
        var runs: [Run] = []
        for (tile, index) in latest.sorted(by: { $0.key < $1.key }) {
            if var last = runs.last, last.first.indices.dropLast() == tile.indices.dropLast(),
               let lastIndex = last.first.indices.last, lastIndex + last.count == tile.indices.last {
                last.indices.append(index)
                runs[runs.count - 1] = last
            } else {
                runs.append(Run(first: tile, indices: [index]))
            }
        }
        return runs
    }

    /// Reads the values stored for `tile`: fill values unless its flag is 1
    /// (in a scanning file other tiles may hold zeros or partial values).
    public func values(for tile: TileIndex) throws -> TileValues {
        try check(tile)
        var values = TileValues(pointCount: axes.pointsPerTile)
        let (flagStart, flagCount) = tileSelection(of: tile, tiles: 1)
        let flag = try dataset(ResultFileLayout.tileDone).read(UInt8.self, start: flagStart, count: flagCount)
        guard flag == [ResultFileLayout.TileFlag.done] else { return values }
        // Extras the file does not hold keep their fill values.
        for variable in doubleVariables {
            let (start, count) = selection(of: tile, perRegion: variable.perRegion)
            values[variable.field] = try dataset(variable.name).read(Double.self, start: start, count: count)
        }
        for variable in ResultFileLayout.int32Variables {
            let (start, count) = selection(of: tile, perRegion: false)
            values[variable.field] = try dataset(variable.name).read(Int32.self, start: start, count: count)
        }
        return values
    }

    // MARK: Ending

    /// Ends the run: the finished stage, with the run's attributes (wall
    /// time, ranks, threads, tiles completed, non-converged points) and a
    /// `history` line; then closes the file. Call it also after an
    /// interrupted run; `openForResume` continues either way.
    ///
    /// Tiles not done (flag 2: half-written by a killed batch write; flag 3:
    /// never written) first get their fill values (flag 2 until they are on
    /// disk, then 0). Then, with
    /// `compression` `.none`, only the root attributes change, in place,
    /// guarded by an undo journal (see "Crash safety" above; the cost is a
    /// few hundred KB of metadata, whatever the grid size); with `.deflate`
    /// the file is rewritten into chunked, shuffled, deflate-compressed
    /// datasets as `<path>.finishing`, synced and renamed over the scanning
    /// file. A crash at any moment leaves a complete file of one stage or the
    /// other.
    public func finish(run: RunSummary, compression: ResultCompression = .none) throws {
        guard !isReadOnly else { throw ResultFileError.closed(path: path) }
        try fillUnfinishedTiles()
        let done = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        let completed = done.reduce(0) { $0 + ($1 == ResultFileLayout.TileFlag.done ? 1 : 0) }
        let nonConverged = try countNonConverged(done: done)
        let line = "\(run.endTime) \(run.command) (\(run.ranks) ranks x \(run.threadsPerRank) threads, "
            + "\(String(format: "%.1f", run.wallTimeSeconds)) s, \(completed) of \(done.count) tiles done)"
        var metadata = storedMetadata
        metadata.history = metadata.history.isEmpty ? line : metadata.history + "\n" + line
        try close()

        typealias Root = ResultFileLayout.Root
        let runAttributes: [(String, HDF5AttributeValue)] = [
            (Root.tilesCompleted, .int(Int64(completed))), (Root.wallTime, .double(run.wallTimeSeconds)),
            (Root.ranks, .int(Int64(run.ranks))), (Root.threads, .int(Int64(run.threadsPerRank))),
            (Root.nonConverged, .int(nonConverged.either)), (Root.nonConvergedF, .int(nonConverged.forward)),
            (Root.nonConvergedB, .int(nonConverged.backward)),
        ]
        let temporary = path + ".finishing"
        let toFinished = { (destination: HDF5File) throws in
            try destination.setAttribute(Root.fileStage, .string(ResultFileLayout.Stage.finished))
            try destination.setAttribute(Root.history, .string(metadata.history))
            for (name, value) in runAttributes { try destination.setAttribute(name, value) }
        }
        if compression == .none, try amendsInPlace && Self.amendInPlace(path, hook: amendHook, change: toFinished) {
            unlink(temporary)  // a rewrite's leftover from a killed process, as the copy would replace it
            storedMetadata = metadata
            return
        }
        // Held open (read-only, so shared-locked) until the rename: no other
        // process can open the scanning file for writing meanwhile.
        let source = try Self.openHDF5(path, mode: .readOnly)
        switch compression {
        case .none:
            try Self.copyFile(path, to: temporary)
            try Self.amend(temporary, for: path, change: toFinished)
        case .deflate:
            try Self.build(at: temporary, for: path, axes: axes, extras: extras, metadata: metadata,
                           stage: ResultFileLayout.Stage.finished, compressed: true) { destination in
                for (name, value) in runAttributes { try destination.setAttribute(name, value) }
                try Self.copyResults(from: source, to: destination, axes: axes, extras: extras,
                                     compressingOn: run.threadsPerRank)
            }
        }
        try source.close()
        try Self.publish(temporary, as: path, replacing: true)
        storedMetadata = metadata
    }

    /// Closes the file without finishing it (it stays resumable).
    public func close() throws {
        datasets = [:]
        if let file {
            self.file = nil
            try file.close()
        }
    }

    // MARK: Private

    private func openFile() throws -> HDF5File {
        guard let file else { throw ResultFileError.closed(path: path) }
        return file
    }

    private func dataset(_ name: String) throws -> HDF5Dataset {
        guard file != nil, let dataset = datasets[name] else { throw ResultFileError.closed(path: path) }
        return dataset
    }

    private func check(_ tile: TileIndex) throws {
        guard axes.contains(tile) else {
            throw ResultFileError.invalidTile(axes.describe(tile), outer: axes.outerSizeDescription)
        }
    }

    /// The hyperslab of `tile_done` holding the flags of `tiles`
    /// neighbouring tiles starting at `tile` (a run, see `Run`).
    private func tileSelection(of tile: TileIndex, tiles: Int) -> (start: [Int], count: [Int]) {
        (tile.indices, [Int](repeating: 1, count: tile.indices.count - 1) + [tiles])
    }

    /// The hyperslab of a result dataset holding `tiles` neighbouring tiles
    /// starting at `tile`.
    private func selection(of tile: TileIndex, tiles: Int = 1, perRegion: Bool) -> (start: [Int], count: [Int]) {
        let (start, count) = tileSelection(of: tile, tiles: tiles)
        return perRegion
            ? (start + [0, 0], count + [axes.pointsPerTile, 3])
            : (start + [0], count + [axes.pointsPerTile])
    }

    /// Gives every tile that is not done and does not hold fill values yet
    /// (flag 2: a killed batch write; flag 3: never written, its storage
    /// still zeros) its fill values and flag 0, with the batch protocol of
    /// `write(_:)` (a kill in between leaves flag 2, and the next finish does
    /// this again), in batches of at most `fillBatchPoints` points. Costs
    /// nothing after a complete scan.
    private func fillUnfinishedTiles() throws {
        let flags = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        let unfinished = flags.indices.filter {
            flags[$0] == ResultFileLayout.TileFlag.writing || flags[$0] == ResultFileLayout.TileFlag.unwritten
        }
        guard !unfinished.isEmpty else { return }
        let n = axes.pointsPerTile
        let fill = TileValues(pointCount: n)
        let tilesPerBatch = max(1, Self.fillBatchPoints / n)
        for first in stride(from: 0, to: unfinished.count, by: tilesPerBatch) {
            let batch = unfinished[first..<min(first + tilesPerBatch, unfinished.count)].map {
                (tile: axes.tileIndex($0), values: fill)
            }
            try write(batch, completing: ResultFileLayout.TileFlag.notDone)
        }
    }

    /// Points per batch when `finish` fills unfinished tiles.
    private static let fillBatchPoints = 1 << 17

    /// Points of done tiles whose forward, backward, or either configuration
    /// has status 1 or 2; read in blocks of neighbouring tiles (runs along
    /// the last outer axis; memory independent of the grid).
    private func countNonConverged(done: [UInt8]) throws -> (forward: Int64, backward: Int64, either: Int64) {
        var counts: (forward: Int64, backward: Int64, either: Int64) = (0, 0, 0)
        let nE1 = axes.pointsPerTile
        // Tiles numbered `row * nE3 + i` share all outer indices but the last.
        let nE3 = axes.outerShape.last ?? 1
        let block = max(1, ResultFileLayout.targetChunkElements / nE1)
        let statusF = try dataset("status_F"), statusB = try dataset("status_B")
        for d in 0..<(axes.tileCount / nE3) {
            for first in stride(from: 0, to: nE3, by: block) {
                let lines = min(block, nE3 - first)
                guard (first..<(first + lines)).contains(where: { done[d * nE3 + $0] == ResultFileLayout.TileFlag.done })
                else { continue }
                let (start, count) = selection(of: axes.tileIndex(d * nE3 + first), tiles: lines, perRegion: false)
                let forward = try statusF.read(Int32.self, start: start, count: count)
                let backward = try statusB.read(Int32.self, start: start, count: count)
                for line in 0..<lines where done[d * nE3 + first + line] == ResultFileLayout.TileFlag.done {
                    for i in (line * nE1)..<((line + 1) * nE1) {
                        // 3 (converged, a second solution found) is valid.
                        let failedF = forward[i] == 1 || forward[i] == 2
                        let failedB = backward[i] == 1 || backward[i] == 2
                        if failedF { counts.forward += 1 }
                        if failedB { counts.backward += 1 }
                        if failedF || failedB { counts.either += 1 }
                    }
                }
            }
        }
        return counts
    }

}
