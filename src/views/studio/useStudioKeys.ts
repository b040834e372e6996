// Keys for talks: space plays/pauses (training or replay), arrows scrub the timeline, T toggles talk mode, Escape
// closes the enlarged layer or leaves talk mode. Keys typed into a form field are left alone.
import { useEffect } from 'react';
import { useStore } from '../../store';
import { togglePlay } from '../../store/runnerLink';

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) || el.isContentEditable);
}

/** Full screen follows talk mode where the browser allows it (a key press counts as the needed user gesture). */
function syncFullscreen(on: boolean): void {
  if (on && !document.fullscreenElement) document.documentElement.requestFullscreen?.().catch(() => undefined);
  if (!on && document.fullscreenElement) document.exitFullscreen?.().catch(() => undefined);
}

export function toggleTalk(): void {
  useStore.getState().toggleTalkMode();
  syncFullscreen(useStore.getState().talkMode);
}

export function useStudioKeys(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const s = useStore.getState();
      if (e.key === ' ') {
        e.preventDefault();
        // A focused button would also "click" on key-up: take the focus away so space does one thing.
        if (e.target instanceof HTMLElement && e.target.closest('button, summary')) e.target.blur();
        togglePlay();
      } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        s.scrub(e.key === 'ArrowLeft' ? -1 : 1);
      } else if (e.key === 't' || e.key === 'T') {
        toggleTalk();
      } else if (e.key === 'Escape') {
        if (s.enlargedLayer) s.setEnlargedLayer(null);
        else if (s.talkMode) toggleTalk();
      }
    };
    // Leaving full screen with the browser's own Escape also leaves talk mode.
    const onFullscreen = () => {
      if (!document.fullscreenElement && useStore.getState().talkMode) useStore.getState().toggleTalkMode();
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('fullscreenchange', onFullscreen);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('fullscreenchange', onFullscreen);
    };
  }, []);
}
