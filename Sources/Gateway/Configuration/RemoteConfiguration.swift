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

    /// A message on `cfg/set`, from the device that heard it.
    func hear(_ push: ConfigurationPush) { heard.yield(push) }

    /// Applies each push, until the task is cancelled. Each in a task of its own, as the control
    /// socket answers each connection in one: a newer push ends a trial under way at once (see
    /// `DeviceController.apply`) rather than after it.
    public func run(controller: DeviceController) async {
        await withDiscardingTaskGroup { group in
            for await push in pushes {
                group.addTask { _ = await controller.apply(push) }
            }
        }
    }
}
