import { effect, signal } from '@preact/signals';
import type { Room } from '../../client/wire.js';
import { shownName } from '../shared/names.js';
import { type Alert, alertForChange, alertForNewRoom } from './attention.js';

/** What the browser allows for desktop notifications; `unsupported` where there is no Notification API. */
export type DesktopPermission = 'unsupported' | NotificationPermission;

const SOUND_KEY = 'live-chat:console-sound';

/** What the alerts need from the console: the rooms it keeps, who I am, and how to open a room. */
export interface AlertsHost {
  /** Every room the console keeps, read inside a signal effect (so each change of any of them is seen). */
  rooms(): Iterable<Room>;
  readonly me: string;
  open(roomId: string): void;
}

/**
 * The console's alerts while the agent is not looking (the tab hidden, or another window in front): a short
 * sound made with Web Audio (no file to fetch), and a desktop notification once the person allowed them with
 * the button ({@link enable}; never asked on load, which browsers penalize and people refuse). For a new room
 * nobody has and for a customer message in one of my rooms ({@link alertForChange}); the tab title's count is
 * the console's own (`attentionCount`). While the tab is visible and focused nothing rings: the queue shows it.
 */
export class ConsoleAlerts {
  readonly permission = signal<DesktopPermission>(currentPermission());
  readonly sound = signal(readSound());
  private readonly known = new Map<string, Room>();
  private audio: AudioContext | undefined;
  private stopWatching: (() => void) | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly host: AlertsHost) {}

  start(): void {
    this.stopWatching = effect(() => {
      const seen = new Set<string>();
      for (const room of this.host.rooms()) {
        seen.add(room.id);
        const before = this.known.get(room.id);
        this.known.set(room.id, room);
        const alert = before ? alertForChange(before, room, this.host.me) : null;
        if (alert) this.raise(alert);
      }
      for (const roomId of [...this.known.keys()]) if (!seen.has(roomId)) this.known.delete(roomId);
    });
    // Browsers start audio only after a gesture on the page: the first click or key press unlocks it.
    document.addEventListener('pointerdown', this.unlockAudio, true);
    document.addEventListener('keydown', this.unlockAudio, true);
  }

  stop(): void {
    this.stopWatching?.();
    document.removeEventListener('pointerdown', this.unlockAudio, true);
    document.removeEventListener('keydown', this.unlockAudio, true);
    void this.audio?.close().catch(() => undefined);
  }

  /** A room the queue reported for the first time while the page runs (a summary of a room not listed). */
  roomArrived(room: Room): void {
    const alert = alertForNewRoom(room, this.startedAt, this.host.me);
    if (alert) this.raise(alert);
  }

  /** The button: asks for desktop notifications (a gesture, as browsers require) and unlocks the sound. */
  async enable(): Promise<void> {
    this.unlockAudio();
    if (typeof Notification === 'undefined') return;
    if (Notification.permission === 'default') await Notification.requestPermission();
    this.permission.value = currentPermission();
  }

  setSound(on: boolean): void {
    this.sound.value = on;
    try {
      localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
    } catch {
      // Storage refused (private mode): the choice lasts for this page.
    }
    if (on) this.unlockAudio();
  }

  /** Whether the person is looking at the console now: the same rule as marking a room read. */
  private attending(): boolean {
    return document.visibilityState === 'visible' && document.hasFocus();
  }

  private raise(alert: Alert): void {
    if (this.attending()) return;
    if (this.sound.value) this.ring();
    this.notify(alert);
  }

  private notify(alert: Alert): void {
    this.permission.value = currentPermission();
    if (this.permission.value !== 'granted') return;
    const { room } = alert;
    const customer = shownName(room.customer_id, room.customer_name);
    const title = alert.kind === 'new_room' ? `New chat from ${customer}` : `${customer} wrote`;
    const body =
      alert.kind === 'new_room'
        ? room.last_message?.preview || room.subject || 'Waiting for someone to answer'
        : (room.last_message?.preview ?? '');
    try {
      // One notification per room: a newer one replaces it rather than piling up.
      const notification = new Notification(title, { body, tag: `room-${room.id}` });
      notification.onclick = () => {
        window.focus();
        this.host.open(room.id);
        notification.close();
      };
    } catch (error) {
      // Some browsers allow notifications only from a service worker; the sound and the title still tell.
      console.warn('[live-chat] notification', error);
    }
  }

  /** Two short tones, quiet: a chime, not an alarm. */
  private ring(): void {
    const audio = this.audio;
    if (audio?.state !== 'running') return;
    const start = audio.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.14, 1320],
    ] as const) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = 'sine';
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.12);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.13);
    }
  }

  private readonly unlockAudio = () => {
    if (!this.sound.value || typeof AudioContext === 'undefined') return;
    this.audio ??= new AudioContext();
    if (this.audio.state === 'suspended') void this.audio.resume().catch(() => undefined);
  };
}

function currentPermission(): DesktopPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

function readSound(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}
