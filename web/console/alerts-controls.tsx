import type { ConsoleAlerts } from './alerts.js';

/**
 * The top bar's alert controls: what waits for me (the count the tab title shows), the button that asks for
 * desktop notifications (only when pressed; the browser's question comes from that gesture), and the sound
 * on or off.
 */
export function AlertsControls(props: { alerts: ConsoleAlerts; count: number }) {
  const { alerts, count } = props;
  const permission = alerts.permission.value;
  const sound = alerts.sound.value;
  return (
    <div class="alerts">
      <span class="attention" data-testid="attention" aria-live="polite">
        {count > 0 ? (
          <>
            <span class="badge" aria-hidden="true">
              {count}
            </span>
            <span class="visually-hidden">{count} waiting for you</span>
          </>
        ) : null}
      </span>
      {permission === 'default' ? (
        <button type="button" class="ghost" onClick={() => void alerts.enable()}>
          Turn on notifications
        </button>
      ) : permission === 'denied' ? (
        <span class="muted small">Notifications are blocked in this browser's settings</span>
      ) : null}
      <button
        type="button"
        class="ghost"
        aria-pressed={sound}
        title={sound ? 'A sound plays for new chats and your customers’ messages' : 'No sound'}
        onClick={() => alerts.setSound(!sound)}
      >
        {sound ? 'Sound on' : 'Sound off'}
      </button>
    </div>
  );
}
