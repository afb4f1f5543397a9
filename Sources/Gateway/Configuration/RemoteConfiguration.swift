/// `cfg/set`, a source of configuration pushes like the control socket, the inbox and SIGHUP:
/// files the broker delivers while the configuration enables remote configuration. Each boot's
/// device only hands on what it hears, into this one stream that outlives the boots; whoever
/// runs the controller applies the pushes, since applying one reboots, and so ends, the device
/// that heard it.
public struct RemoteConfiguration: Sendable {
    private let pushes: AsyncStream<ConfigurationPush>
    private let heard: AsyncStream<ConfigurationPush>.Continuation

    public init() {
        // Unbounded, like the broker's messages before it: `run` takes each as it comes.
        (pushes, heard) = AsyncStream.makeStream()
    }

    /// A message on `cfg/set`, from the device that heard it; false when no one takes pushes any
    /// more (`run` has ended: the daemon is shutting down), for the device to say so.
    func hear(_ push: ConfigurationPush) -> Bool {
        if case .terminated = heard.yield(push) { return false }
        return true
    }

    /// Applies each push, in the order the broker delivered them, until the task is cancelled. A
    /// newer push ends a trial under way at once (rather than after its deadline), then waits for
    /// the older one to finish: the last push delivered is the one that runs.
    public func run(controller: DeviceController) async {
        let (inOrder, enqueue) = AsyncStream.makeStream(of: ConfigurationPush.self)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await push in inOrder { _ = await controller.apply(push) }
            }
            for await push in pushes {
                await controller.supersedeTrial(by: push)
                enqueue.yield(push)
            }
            enqueue.finish()
        }
    }
}
