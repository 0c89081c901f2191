using Shop.Messaging;

namespace Shop.Api.WaitingRoom;

public static class WaitingRoomExtensions
{
    public static void AddWaitingRoom(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WaitingRoomOptions>().BindConfiguration(WaitingRoomOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.AddWaitingRoomPasses();
        builder.Services.AddSingleton<SaleDirectory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SaleDirectory>());
        builder.Services.AddSingleton<QueueView>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueView>());
        builder.Services.AddSingleton<WaitingRoomStore>();
        builder.Services.AddSingleton<WaitingRoomMetrics>();
        builder.Services.AddSingleton<WaitingRoomService>();
        builder.Services.AddSingleton<AdmissionGate>();
        builder.Services.AddSingleton<AdmissionHealth>();
        builder.Services.AddSingleton<PacingStore>();
        builder.Services.AddSingleton<FunnelRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FunnelRecorder>());
        builder.Services.AddHostedService<AdmissionLoop>();
    }
}
